package sei

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawPair dials a loopback listener and returns the dialled side wrapped by rawConn and the
// accepted side as net gives it.
func rawPair(t *testing.T) (*rawTCPConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc, ok := rawConn(c).(*rawTCPConn)
	if !ok {
		t.Fatalf("rawConn(%T) did not wrap a TCP connection", c)
	}
	peer, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = rc.Close(); _ = peer.Close() })
	return rc, peer
}

// The raw connection must behave as the net.Conn it replaces in everything a session relies on:
// data both ways, large writes the socket buffer cannot take at once, end of stream, deadlines
// (with net's timeout error), a peer's reset and a close from another goroutine.
func TestRawConnBehavesAsNetConn(t *testing.T) {
	t.Run("echo", func(t *testing.T) {
		c, peer := rawPair(t)
		go func() { _, _ = io.Copy(peer, peer) }()
		msg := []byte("GET / HTTP/1.1\r\nHost: sei\r\n\r\n")
		if n, err := c.Write(msg); err != nil || n != len(msg) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("read back %q, %v", got, err)
		}
		if n, err := c.Read(nil); n != 0 || err != nil {
			t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
		}
	})
	t.Run("large write waits for a slow reader", func(t *testing.T) {
		c, peer := rawPair(t)
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: far more than a socket buffer
		got := make(chan []byte, 1)
		go func() {
			time.Sleep(50 * time.Millisecond) // the writer fills the buffers and must wait
			b, _ := io.ReadAll(io.LimitReader(peer, int64(len(big))))
			got <- b
		}()
		if n, err := c.Write(big); err != nil || n != len(big) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
		}
		if b := <-got; !bytes.Equal(b, big) {
			t.Fatalf("peer read %d bytes, not what was written", len(b))
		}
	})
	t.Run("end of stream", func(t *testing.T) {
		c, peer := rawPair(t)
		_, _ = peer.Write([]byte("bye"))
		_ = peer.Close()
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "bye" {
			t.Fatalf("ReadAll = %q, %v", b, err)
		}
		if n, err := c.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after EOF = %d, %v; want io.EOF", n, err)
		}
	})
	t.Run("read deadline", func(t *testing.T) {
		c, _ := rawPair(t)
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		start := time.Now()
		_, err := c.Read(make([]byte, 8))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past the deadline = %v; want a net timeout", err)
		}
		if !strings.HasPrefix(err.Error(), "read tcp ") || !strings.HasSuffix(err.Error(), "i/o timeout") {
			t.Errorf("error reads %q; want net's wording, read tcp a->b: i/o timeout", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("deadline of 30ms took %s", d)
		}
	})
	t.Run("write deadline", func(t *testing.T) {
		c, _ := rawPair(t) // the peer never reads
		huge := bytes.Repeat([]byte{'x'}, 64<<20)
		_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
		n, err := c.Write(huge)
		if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.HasPrefix(err.Error(), "write tcp ") {
			t.Fatalf("Write past the deadline = %d, %v; want write tcp …: i/o timeout", n, err)
		}
		if n <= 0 || n >= 64<<20 {
			t.Errorf("wrote %d bytes before the deadline; want the part the buffers took", n)
		}
	})
	t.Run("reset by peer", func(t *testing.T) {
		c, peer := rawPair(t)
		_ = peer.(*net.TCPConn).SetLinger(0) // close sends RST
		_ = peer.Close()
		time.Sleep(20 * time.Millisecond)
		_, err := c.Read(make([]byte, 8))
		if !errors.Is(err, syscall.ECONNRESET) || !strings.Contains(err.Error(), "read tcp ") || !strings.Contains(err.Error(), "connection reset by peer") {
			t.Fatalf("Read after RST = %v; want read tcp …: connection reset by peer", err)
		}
	})
	t.Run("closed while reading", func(t *testing.T) {
		c, _ := rawPair(t)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 8))
			errc <- err
		}()
		time.Sleep(30 * time.Millisecond)
		_ = c.Close()
		select {
		case err := <-errc:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read on a closed connection = %v; want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Read did not return after Close")
		}
	})
	t.Run("not TCP", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if rawConn(a) != a {
			t.Fatal("rawConn wrapped a connection that is not TCP")
		}
	})
}

// A read allocates nothing: the point of the raw path is to cost less than net.Conn's.
func TestRawConnReadWriteAllocateNothing(t *testing.T) {
	c, peer := rawPair(t)
	go func() { _, _ = io.Copy(peer, peer) }()
	msg, buf := []byte("ping"), make([]byte, 4)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a write and read allocate %.1f times; want 0", allocs)
	}
}

// A session's own connections (plain HTTP and under TLS) go through the raw path.
func TestSessionDialsRawConnections(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  func(http.Handler) *httptest.Server
	}{
		{"http", httptest.NewServer},
		{"https", httptest.NewTLSServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
			defer srv.Close()
			c, err := NewClient(ClientOptions{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			s := c.NewSession()
			defer s.Close()
			r, err := s.Get(context.Background(), srv.URL+"/sei/")
			if err != nil || string(r.Raw) != "ok" {
				t.Fatalf("Get = %v", err)
			}
			conn := s.idle.conn
			if tlsConn, ok := conn.(*tls.Conn); ok {
				conn = tlsConn.NetConn()
			}
			if _, ok := conn.(*rawTCPConn); !ok {
				t.Fatalf("the session's connection is a %T, not the raw TCP connection", conn)
			}
		})
	}
}
