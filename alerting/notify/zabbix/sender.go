package zabbix

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Zabbix protocol header flags (https://www.zabbix.com/documentation/6.0/en/manual/appendix/protocols/header_datalen).
const (
	flagZabbix     = 0x01
	flagCompressed = 0x02
	flagLarge      = 0x04
	maxAnswer      = 16 << 20
)

// sender speaks the Zabbix sender protocol to one trapper (server or proxy).
type sender struct {
	addr    string
	tls     *tls.Config
	timeout time.Duration
}

// answer is the trapper's reply, parsed.
type answer struct {
	Processed, Failed, Total int
	Spent                    time.Duration
}

// ProtocolError is a reply the trapper gave that was not a success (wrong packet, refused TLS...).
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// send delivers one batch and parses the processed/failed answer. Errors are transport or
// protocol failures: the batch did not land and may be sent again.
func (s *sender) send(ctx context.Context, values []value) (answer, error) {
	now := time.Now()
	packet := struct {
		Request string  `json:"request"`
		Data    []value `json:"data"`
		Clock   int64   `json:"clock"`
		NS      int64   `json:"ns"`
	}{"sender data", values, now.Unix(), int64(now.Nanosecond())}
	body, err := json.Marshal(packet)
	if err != nil {
		return answer{}, fmt.Errorf("encode values: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var conn net.Conn
	d := &net.Dialer{}
	if s.tls != nil {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return answer{}, fmt.Errorf("connect to Zabbix trapper %s: %w", s.addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	frame := make([]byte, 13, 13+len(body))
	copy(frame, "ZBXD")
	frame[4] = flagZabbix
	binary.LittleEndian.PutUint32(frame[5:9], uint32(len(body)))
	frame = append(frame, body...)
	if _, err := conn.Write(frame); err != nil {
		return answer{}, fmt.Errorf("send values to %s: %w", s.addr, err)
	}
	reply, err := readFrame(conn)
	if err != nil {
		return answer{}, fmt.Errorf("read answer from %s: %w", s.addr, err)
	}
	var r struct {
		Response string `json:"response"`
		Info     string `json:"info"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return answer{}, &ProtocolError{Msg: fmt.Sprintf("Zabbix trapper %s answered something that is not JSON: %q", s.addr, excerpt(reply))}
	}
	if r.Response != "success" {
		return answer{}, &ProtocolError{Msg: fmt.Sprintf("Zabbix trapper %s answered %q: %s", s.addr, r.Response, r.Info)}
	}
	a, err := parseInfo(r.Info)
	if err != nil {
		return answer{}, &ProtocolError{Msg: fmt.Sprintf("Zabbix trapper %s: %v", s.addr, err)}
	}
	return a, nil
}

// readFrame reads one protocol frame, plain or zlib-compressed, normal or large.
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if string(hdr[:4]) != "ZBXD" {
		return nil, &ProtocolError{Msg: fmt.Sprintf("not a Zabbix protocol header: %q", hdr[:])}
	}
	flags := hdr[4]
	var size, raw uint64
	if flags&flagLarge != 0 {
		var b [16]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		size, raw = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	} else {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, err
		}
		size, raw = uint64(binary.LittleEndian.Uint32(b[:4])), uint64(binary.LittleEndian.Uint32(b[4:]))
	}
	if size > maxAnswer || raw > maxAnswer {
		return nil, &ProtocolError{Msg: fmt.Sprintf("answer of %d bytes is too large", size)}
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	if flags&flagCompressed == 0 {
		return data, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decompress answer: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(raw)+1))
	if err != nil {
		return nil, fmt.Errorf("decompress answer: %w", err)
	}
	return out, nil
}

// parseInfo reads "processed: 1; failed: 0; total: 1; seconds spent: 0.000055".
func parseInfo(info string) (answer, error) {
	var a answer
	seen := 0
	for _, part := range strings.Split(info, ";") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var err error
		switch k {
		case "processed":
			a.Processed, err = strconv.Atoi(v)
			seen++
		case "failed":
			a.Failed, err = strconv.Atoi(v)
			seen++
		case "total":
			a.Total, err = strconv.Atoi(v)
			seen++
		case "seconds spent":
			var f float64
			f, err = strconv.ParseFloat(v, 64)
			a.Spent = time.Duration(f * float64(time.Second))
		}
		if err != nil {
			return answer{}, fmt.Errorf("unreadable %s in answer %q", k, info)
		}
	}
	if seen < 3 {
		return answer{}, errors.New("answer lacks processed/failed/total: " + strconvQuote(info))
	}
	return a, nil
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func excerpt(b []byte) string {
	if len(b) > 120 {
		b = b[:120]
	}
	return string(b)
}
