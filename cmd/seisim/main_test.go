package main

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/internal/seisim"
	"gopkg.in/yaml.v3"
)

// freePort finds n consecutive free ports below the kernel's ephemeral range (32768 and up on
// Linux): a range inside it collides with the source ports of other tests' outgoing connections,
// which CI runs in parallel, between this check and seisim's listen.
func freePort(t *testing.T, n int) int {
	t.Helper()
	for attempt := 0; attempt < 50; attempt++ {
		base := 20000 + rand.IntN(12000-n)
		ok := true
		for i := 0; i < n && ok; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

func TestRunServesFleetWithPortsTLSAndTargets(t *testing.T) {
	dir := t.TempDir()
	fleetFile := filepath.Join("..", "..", "internal", "seisim", "testdata", "fleet-demo.yaml")
	targets := filepath.Join(dir, "targets.yaml")
	shared := freePort(t, 1)
	ports := freePort(t, 50)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--fleet", fleetFile, "--listen", "127.0.0.1:" + strconv.Itoa(shared),
			"--ports", strconv.Itoa(ports), "--tls", "--wssei-auth-delay", "0s", "--print-targets", targets})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var res *http.Response
	var err error
	for i := 0; i < 100; i++ {
		res, err = c.Get("https://127.0.0.1:" + strconv.Itoa(shared) + "/demo-03/sei/")
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "/demo-03/sip/login.php?sigla_orgao_sistema=CADE") {
		t.Errorf("shared listener: %d %q", res.StatusCode, res.Header.Get("Location"))
	}

	// demo-11 (index 10) has tls_expires_in: 72h on its own port.
	fleet, err := seisim.LoadFleet(fleetFile)
	if err != nil {
		t.Fatal(err)
	}
	res, err = c.Get("https://127.0.0.1:" + strconv.Itoa(ports+10) + "/sei/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	left := time.Until(res.TLS.PeerCertificates[0].NotAfter)
	if want := fleet.Instances[10].Faults.TLSExpiresIn; left > want || left < want-time.Minute {
		t.Errorf("certificate of demo-11 expires in %v, want %v", left, want)
	}

	data, err := os.ReadFile(targets)
	if err != nil {
		t.Fatal(err)
	}
	var tf seisim.TargetsFile
	if err := yaml.Unmarshal(data, &tf); err != nil {
		t.Fatal(err)
	}
	if len(tf.Instances) != 50 || tf.Instances[10].URL != "https://127.0.0.1:"+strconv.Itoa(ports+10) || tf.Instances[0].Owner != "MGI" {
		t.Errorf("targets: %d, %+v", len(tf.Instances), tf.Instances[10])
	}
}

// --hosts spreads the fleet over loopback addresses, each serving every instance.
func TestRunSpreadsTargetsOverHosts(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	port := strconv.Itoa(freePort(t, 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--generate", "300", "--listen", "127.0.0.1:" + port, "--hosts", "260", "--print-targets", targets})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var data []byte
	var err error
	for i := 0; i < 200; i++ {
		if data, err = os.ReadFile(targets); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	var tf seisim.TargetsFile
	if err := yaml.Unmarshal(data, &tf); err != nil {
		t.Fatal(err)
	}
	hosts := map[string]bool{}
	for _, in := range tf.Instances {
		u, err := url.Parse(in.URL)
		if err != nil {
			t.Fatal(err)
		}
		hosts[u.Hostname()] = true
	}
	if len(tf.Instances) != 300 || len(hosts) != 260 || !hosts["127.0.1.1"] || !hosts["127.0.2.6"] {
		t.Fatalf("%d targets over %d hosts", len(tf.Instances), len(hosts))
	}
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, in := range []seisim.TargetsFile{{Instances: tf.Instances[:1]}, {Instances: tf.Instances[259:260]}} {
		var res *http.Response
		for i := 0; i < 100; i++ {
			if res, err = c.Get(in.Instances[0].URL + "/sei/"); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusFound || !strings.Contains(res.Header.Get("Location"), "/"+in.Instances[0].Name+"/sip/login.php") {
			t.Errorf("%s: %d %q", in.Instances[0].URL, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{{}, {"--fleet", "x.yaml", "--generate", "3"}, {"--fleet", "/nonexistent.yaml"}} {
		if err := run(ctx, args); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
