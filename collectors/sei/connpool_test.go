package sei

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// connServer is a real HTTP server that counts the connections it accepts and remembers the
// Cookie header of each request.
type connServer struct {
	*httptest.Server
	conns   atomic.Int32
	mu      sync.Mutex
	cookies []string
}

func newConnServer(t *testing.T, tlsOn bool) *connServer {
	t.Helper()
	cs := &connServer{}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		cs.cookies = append(cs.cookies, r.Header.Get("Cookie"))
		cs.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "PHPSESSID", Value: "run-session", Path: "/"})
		_, _ = w.Write([]byte("<html><title>SEI</title></html>"))
	}))
	cs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			cs.conns.Add(1)
		}
	}
	if tlsOn {
		cs.StartTLS()
	} else {
		cs.Start()
	}
	t.Cleanup(cs.Close)
	return cs
}

func (cs *connServer) lastCookie() string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.cookies[len(cs.cookies)-1]
}

// run opens one session on c, sends the requests and closes it, as a probe run does.
func run(t *testing.T, c *Client, method string, urls ...string) Timing {
	t.Helper()
	s := c.NewSession()
	defer s.Close()
	var sum Timing
	for _, u := range urls {
		req := Request{URL: u, Method: method}
		if method == http.MethodPost {
			req.Form = map[string][]string{"a": {"b"}}
		}
		r, err := s.Do(context.Background(), req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		sum.Requests += r.Timing.Requests
		sum.NewConns += r.Timing.NewConns
		sum.Borrowed += r.Timing.Borrowed
	}
	return sum
}

func TestConnPoolPassesTheConnectionToTheNextRun(t *testing.T) {
	srv := newConnServer(t, false)
	pool := NewConnPool()
	health, _ := NewClient(ClientOptions{Conns: pool, LendOnly: true})
	modules, _ := NewClient(ClientOptions{Conns: pool})

	if tm := run(t, health, http.MethodGet, srv.URL+"/sei/", srv.URL+"/sei/ws"); tm.NewConns != 1 || tm.Borrowed != 0 {
		t.Fatalf("health run: %+v, want one new connection", tm)
	}
	if pool.Idle() != 1 {
		t.Fatalf("health left %d connections in the pool, want 1", pool.Idle())
	}
	tm := run(t, modules, http.MethodGet, srv.URL+"/sei/", srv.URL+"/sei/x")
	if tm.NewConns != 0 || tm.Borrowed != 1 || srv.conns.Load() != 1 {
		t.Fatalf("modules run: %+v, server saw %d connections; want the health run's connection", tm, srv.conns.Load())
	}
	// Only the connection passes on: the run's first request carries no cookie of the last run.
	srv.mu.Lock()
	first := srv.cookies[2]
	srv.mu.Unlock()
	if first != "" {
		t.Errorf("the next run sent the previous run's cookies: %q", first)
	}
	if srv.lastCookie() != "PHPSESSID=run-session" {
		t.Errorf("a run's own cookies are lost: %q", srv.lastCookie())
	}

	if taken, missed := pool.HandOvers(); taken != 1 || missed != 0 {
		t.Errorf("HandOvers = %d taken, %d missed; want 1, 0", taken, missed)
	}
	// Health never borrows: it measures connect every run.
	if tm := run(t, health, http.MethodGet, srv.URL+"/sei/"); tm.NewConns != 1 || tm.Borrowed != 0 {
		t.Errorf("health borrowed a connection: %+v", tm)
	}
	// A POST never goes out on a borrowed connection (it could not be sent again safely).
	if tm := run(t, modules, http.MethodPost, srv.URL+"/sip/login.php"); tm.Borrowed != 0 || tm.NewConns != 1 {
		t.Errorf("a POST took a pooled connection: %+v", tm)
	}
}

func TestConnPoolExpiresIdleConnections(t *testing.T) {
	srv := newConnServer(t, false)
	pool := NewConnPool()
	var now time.Time
	pool.now = func() time.Time { return now }
	c, _ := NewClient(ClientOptions{Conns: pool})
	run(t, c, http.MethodGet, srv.URL+"/sei/")
	if pool.Idle() != 1 {
		t.Fatalf("idle = %d, want 1", pool.Idle())
	}
	now = time.Now().Add(maxIdle)
	if tm := run(t, c, http.MethodGet, srv.URL+"/sei/"); tm.Borrowed != 0 || tm.NewConns != 1 {
		t.Errorf("a connection idle for %s was used: %+v", maxIdle, tm)
	}
	// The expired one was closed, and the run that just ended left its own.
	if pool.Idle() != 1 {
		t.Errorf("idle = %d, want 1 (the expired connection closed)", pool.Idle())
	}
	pool.Close()
	if pool.Idle() != 0 {
		t.Errorf("idle after Close = %d", pool.Idle())
	}
}

// The server may close a kept-alive connection while it waits in the pool (a restart, a shorter
// keep-alive timeout): the next run's GET goes out again on a new connection and succeeds.
func TestConnPoolServerClosedConnection(t *testing.T) {
	srv := newConnServer(t, false)
	pool := NewConnPool()
	c, _ := NewClient(ClientOptions{Conns: pool})
	run(t, c, http.MethodGet, srv.URL+"/sei/")
	srv.CloseClientConnections()
	time.Sleep(20 * time.Millisecond)
	if tm := run(t, c, http.MethodGet, srv.URL+"/sei/"); tm.NewConns != 1 || tm.Borrowed != 0 {
		t.Errorf("after the server closed the pooled connection: %+v", tm)
	}
}

// A TLS connection passes only between clients that verify certificates alike, and a borrowed
// connection reports no certificate expiry: that is the finding of the run that did the handshake.
func TestConnPoolTLSOnlyBetweenClientsThatVerifyAlike(t *testing.T) {
	srv := newConnServer(t, true)
	ca := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(ca, pemEncode(srv.Certificate().Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := NewConnPool()
	insecure, _ := NewClient(ClientOptions{Conns: pool, InsecureSkipVerify: true})
	insecure2, _ := NewClient(ClientOptions{Conns: pool, InsecureSkipVerify: true})
	withCA, err := NewClient(ClientOptions{Conns: pool, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	run(t, insecure, http.MethodGet, srv.URL+"/sei/")
	if tm := run(t, withCA, http.MethodGet, srv.URL+"/sei/"); tm.Borrowed != 0 || tm.NewConns != 1 {
		t.Errorf("a client that verifies against a CA took an unverified connection: %+v", tm)
	}
	s := insecure2.NewSession()
	defer s.Close()
	r, err := s.Get(context.Background(), srv.URL+"/sei/")
	if err != nil {
		t.Fatal(err)
	}
	if r.Timing.Borrowed != 1 {
		t.Fatalf("a client with the same TLS settings did not borrow: %+v", r.Timing)
	}
	if !r.TLSNotAfter.IsZero() {
		t.Errorf("a borrowed connection reported the certificate expiry %v", r.TLSNotAfter)
	}
}
