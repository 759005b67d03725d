package zabbix

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/alerting/notify/webhook"
	"github.com/vigia-sei/vigia/alerting/notify/webhook/webhooktest"
	"github.com/vigia-sei/vigia/collectors/probe"
)

func TestQueueDropsOldestAndAcksBySequence(t *testing.T) {
	q := newQueue(3)
	for i := 0; i < 3; i++ {
		if q.push(value{Value: string(rune('a' + i))}) {
			t.Fatal("no drop expected below capacity")
		}
	}
	batch, seq := q.peek(2)
	if len(batch) != 2 || batch[0].Value != "a" || seq != 0 {
		t.Fatalf("peek: %v %d", batch, seq)
	}
	// While "a","b" are in flight the queue overflows twice: "a" and "b" go.
	if !q.push(value{Value: "d"}) || !q.push(value{Value: "e"}) {
		t.Fatal("overflow must report a drop")
	}
	q.ack(seq + uint64(len(batch))) // acknowledging what overflow already dropped removes nothing else
	rest, _ := q.peek(10)
	if got := values(rest); got != "cde" {
		t.Fatalf("after ack: %q, want cde", got)
	}
	q.ack(q.first + 1)
	if rest, _ = q.peek(10); values(rest) != "de" || q.len() != 2 {
		t.Fatalf("after second ack: %q", values(rest))
	}
}

func values(vs []value) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.Value)
	}
	return b.String()
}

func TestParseInfo(t *testing.T) {
	tests := []struct {
		info    string
		want    answer
		wantErr bool
	}{
		{"processed: 3; failed: 1; total: 4; seconds spent: 0.000055", answer{Processed: 3, Failed: 1, Total: 4, Spent: 55 * time.Microsecond}, false},
		{"Processed 3 Failed 1 Total 4", answer{}, true},
		{"processed: x; failed: 0; total: 1", answer{}, true},
	}
	for _, tt := range tests {
		got, err := parseInfo(tt.info)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("parseInfo(%q) = %+v, %v", tt.info, got, err)
		}
	}
}

func TestKeysQuoteWhatZabbixNeedsQuoted(t *testing.T) {
	tests := map[string]string{
		key(KeyAlert, "SEIDown"):            "vigia.alert[SEIDown]",
		key(KeyModuleUp, "mod-sei-pen"):     "vigia.module.up[mod-sei-pen]",
		key(KeyStepDuration, "abrir lista"): `vigia.synthetic.step.duration["abrir lista"]`,
		key(KeyVersion, `a,"b"]`):           `vigia.version["a,\"b\"]"]`,
		KeyUp:                               "vigia.up",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestObservations(t *testing.T) {
	now := time.Unix(1795000000, 0)
	up := true
	r := probe.Result{
		Target: probe.Target{Name: "mgi-prod"}, Probe: probe.Synthetic, Start: now.Add(-time.Second), Duration: 1500 * time.Millisecond, OK: true,
		Values:   map[string]float64{"tls_cert_expiry_timestamp_seconds": float64(now.Unix() + 10*86400)},
		Steps:    []probe.Step{{Name: "login", Duration: 700 * time.Millisecond, OK: true}},
		Drift:    []probe.Drift{{Component: "sei", Level: "minor"}},
		Modules:  []probe.Module{{Name: "mod-wssei", Up: &up}, {Name: "peticionamento"}},
		Versions: []probe.ComponentVersion{{Component: "sei", Version: "4.1.5"}},
	}
	got := map[string]string{}
	for _, v := range observations("h", r, now) {
		got[v.Key] = v.Value
		if v.Clock != now.Add(-time.Second).Unix() {
			t.Errorf("%s clock %d, want the result's start", v.Key, v.Clock)
		}
	}
	want := map[string]string{
		"vigia.probe.ok[synthetic]": "1", "vigia.probe.duration[synthetic]": "1.5", "vigia.tls.days_left": "10.00",
		"vigia.synthetic.step.duration[login]": "0.7", "vigia.drift[sei]": "2", "vigia.module.up[mod-wssei]": "1", "vigia.version[sei]": "4.1.5",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected values: %v", got)
	}
}

// trapper is a minimal TLS endpoint speaking the server side of the sender protocol, for the
// certificate handshake that the shared Zabbix server is not configured for. It answers with a
// compressed frame, as a Zabbix 6.0+ server may.
func trapper(t *testing.T, cfg *tls.Config, got chan<- []byte) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				body, err := readFrame(bufio.NewReader(c))
				if err != nil {
					return
				}
				got <- body
				var req struct {
					Data []json.RawMessage `json:"data"`
				}
				_ = json.Unmarshal(body, &req)
				reply, _ := json.Marshal(map[string]string{"response": "success", "info": "processed: " + itoa(len(req.Data)-1) + "; failed: 1; total: " + itoa(len(req.Data)) + "; seconds spent: 0.000100"})
				var z bytes.Buffer
				zw := zlib.NewWriter(&z)
				_, _ = zw.Write(reply)
				_ = zw.Close()
				hdr := make([]byte, 13)
				copy(hdr, "ZBXD")
				hdr[4] = flagZabbix | flagCompressed
				binary.LittleEndian.PutUint32(hdr[5:9], uint32(z.Len()))
				binary.LittleEndian.PutUint32(hdr[9:13], uint32(len(reply)))
				_, _ = c.Write(append(hdr, z.Bytes()...))
			}()
		}
	}()
	return l.Addr().String()
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSenderTLSWithClientCertificateAndCompressedAnswer(t *testing.T) {
	ca := webhooktest.NewCA(t, "zabbix test CA")
	srv := ca.Issue(t, "zabbix", "127.0.0.1", "localhost")
	cli := ca.Issue(t, "vigia")
	got := make(chan []byte, 1)
	addr := trapper(t, webhooktest.ServerConfig(srv, ca.Pool), got)
	tc, err := webhook.TLSConfig(webhook.TLSOptions{CAFile: ca.CAFile, CertFile: cli.CertFile, KeyFile: cli.KeyFile, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sender{addr: addr, tls: tc, timeout: 5 * time.Second}
	ans, err := s.send(context.Background(), []value{{Host: "h", Key: "vigia.up", Value: "1", Clock: 1795000000, NS: 5}, {Host: "h", Key: "nope", Value: "x", Clock: 1795000000}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Processed != 1 || ans.Failed != 1 || ans.Total != 2 {
		t.Errorf("answer %+v", ans)
	}
	var req struct {
		Request string `json:"request"`
		Data    []struct {
			Host  string `json:"host"`
			Key   string `json:"key"`
			Value string `json:"value"`
			Clock int64  `json:"clock"`
			NS    int64  `json:"ns"`
		} `json:"data"`
		Clock int64 `json:"clock"`
	}
	if err := json.Unmarshal(<-got, &req); err != nil {
		t.Fatal(err)
	}
	if req.Request != "sender data" || len(req.Data) != 2 || req.Data[0].NS != 5 || req.Data[0].Clock != 1795000000 || req.Clock == 0 {
		t.Errorf("request %+v", req)
	}

	// Without a client certificate the trapper refuses the handshake.
	tc2, _ := webhook.TLSConfig(webhook.TLSOptions{CAFile: ca.CAFile, ServerName: "localhost"})
	s2 := &sender{addr: addr, tls: tc2, timeout: 2 * time.Second}
	if _, err := s2.send(context.Background(), []value{{Host: "h", Key: "k", Value: "1"}}); err == nil {
		t.Error("want a TLS failure without a client certificate")
	}
}

func TestSenderHonoursTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }() // reads, never answers
		}
	}()
	s := &sender{addr: l.Addr().String(), timeout: 300 * time.Millisecond}
	start := time.Now()
	if _, err := s.send(context.Background(), []value{{Host: "h", Key: "k", Value: "1"}}); err == nil {
		t.Fatal("want a timeout")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
}
