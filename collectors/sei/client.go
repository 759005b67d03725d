package sei

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpproxy"

	"github.com/vigia-sei/vigia/collectors/probe"

	"github.com/vigia-sei/vigia/internal/tlsroots"
)

// Defaults for ClientOptions.
const (
	DefaultUserAgent    = "vigia/1.0 (+monitoring)"
	DefaultMaxBodyBytes = 5 << 20
	DefaultMaxRedirects = 10
)

// ClientOptions configure every session a prober opens. The zero value is usable.
type ClientOptions struct {
	// UserAgent is sent on every request. SEI binds a session to a hash of the User-Agent, so it must
	// stay constant for a whole run; it does, because a session never changes it.
	UserAgent string `yaml:"user_agent,omitempty"`
	// InsecureSkipVerify accepts any certificate (homolog instances with self-signed certificates).
	// The certificate's expiry is still reported.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string `yaml:"ca_file,omitempty"`
	// MaxBodyBytes caps how much of a body is read (default 5 MiB); the rest is discarded unread.
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
	// MaxRedirects bounds a redirect chain (default 10).
	MaxRedirects int `yaml:"max_redirects,omitempty"`
	// TLSSessions, when set, lets runs resume the TLS sessions earlier runs (of any prober sharing
	// it) opened. A resumed connection reports no certificate expiry: the certificate was not sent.
	TLSSessions *TLSSessions `yaml:"-"`
	// Conns, when set, passes the connection a run leaves open on to the next run against the
	// same server (ConnPool). LendOnly gives connections to it but never takes one: the health
	// probe opens its own every run, so it measures connect and TLS.
	Conns    *ConnPool `yaml:"-"`
	LendOnly bool      `yaml:"-"`
}

// Client holds what every session of one prober shares: TLS settings and limits. It is safe for
// concurrent use; the sessions it opens are not.
type Client struct {
	tls      *tls.Config
	sessions *TLSSessions
	conns    *ConnPool
	borrow   bool
	// tlsTag keeps apart in conns the TLS connections of clients that verify differently.
	tlsTag string
	// settings names everything that changes what a fetch sees (Settings).
	settings     string
	ua           string
	maxBody      int64
	maxRedirects int
	dialer       *net.Dialer
	proxy        func(*url.URL) (*url.URL, error)
	bodies       bodyPool
	indexes      sync.Pool // of *pageIndex
	trees        sync.Pool // of *treeMem
	// readers are the connections' read buffers, handed back when a session closes them.
	readers sync.Pool
	// heads are the sessions' request buffers (headBuf), handed back by Close.
	heads sync.Pool
}

// NewClient validates the options and loads the CA file once.
func NewClient(opts ClientOptions) (*Client, error) {
	c := &Client{
		ua:           opts.UserAgent,
		maxBody:      opts.MaxBodyBytes,
		maxRedirects: opts.MaxRedirects,
		dialer:       &net.Dialer{KeepAlive: -1},
		tls:          &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify}, //nolint:gosec // operator's choice, documented
		proxy:        httpproxy.FromEnvironment().ProxyFunc(),
		sessions:     opts.TLSSessions,
		conns:        opts.Conns,
		borrow:       opts.Conns != nil && !opts.LendOnly,
		tlsTag:       fmt.Sprintf("tls insecure=%t ca=%q ", opts.InsecureSkipVerify, opts.CAFile),
	}
	if c.ua == "" {
		c.ua = DefaultUserAgent
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.maxRedirects <= 0 {
		c.maxRedirects = DefaultMaxRedirects
	}
	c.settings = fmt.Sprintf("%sua=%q body=%d redirects=%d", c.tlsTag, c.ua, c.maxBody, c.maxRedirects)
	if opts.CAFile != "" {
		pool, err := tlsroots.Pool(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("sei client: %w", err)
		}
		c.tls.RootCAs = pool
	}
	return c, nil
}

// Settings names what makes two clients fetch the same URL alike: the User-Agent, how
// certificates are verified and the limits. A probe reads a page another probe fetched only when
// their clients' settings are equal.
func (c *Client) Settings() string { return c.settings }

// UserAgent is the User-Agent every session sends.
func (c *Client) UserAgent() string { return c.ua }

// NewSession opens a fresh session: its own cookies, so nothing of a previous run (a PHPSESSID, a
// captcha counter bound to a session) leaks into this one. Its connection is its own, or with a
// ConnPool the one an earlier run left open to the same server. Close it when the run ends.
func (c *Client) NewSession() *Session {
	return &Session{c: c}
}

// ClearCookies forgets the session's cookies, as a new browser profile would: a run whose kept
// session ended logs in without the stale session cookie.
func (s *Session) ClearCookies() {
	s.jar.clear()
}

// Session is one probe run's browser: cookies persist across requests and redirects, one
// connection is kept alive inside the run and closed by Close (or handed to the ConnPool). Not
// safe for concurrent use.
//
// Requests go straight over a net.Conn (crypto/tls for https) and responses are read with
// net/http's own parser: a probe is a handful of sequential requests, and net/http's Transport
// (a pool, two goroutines per connection) costs more CPU than the rest of a health probe. Through
// an HTTP proxy (HTTP_PROXY/HTTPS_PROXY) the session uses net/http's Transport instead.
type Session struct {
	c    *Client
	jar  cookieStore
	idle *pconn
	// wbuf holds the request being written, reused across the session's requests and, through
	// the client, across sessions: growing a fresh one took several allocations every run.
	wbuf *headBuf
	// key names the server of the last request, for connKey.
	key, keyScheme, keyHost string
	// bodies, indexes and trees are the memory of the run's pages, handed back by Close
	// (bodies.go).
	bodies  []*bodyBuf
	indexes []*pageIndex
	trees   []*treeMem
	// trace and hreq are the request in flight's timing and the request ReadResponse is told
	// about, reused: a session sends one request at a time.
	trace trace
	hreq  http.Request
	// proxied requests go through net/http.
	tr *http.Transport
	hc *http.Client
}

// Close releases the run's connections and the memory of its pages: nothing read from the
// session's responses may be used after it (CloseKeep keeps a Result).
func (s *Session) Close() {
	if s.idle != nil {
		if !s.lend(s.idle) {
			s.idle.discard()
		}
		s.idle = nil
	}
	s.release()
	if s.wbuf != nil {
		s.c.putHeadBuf(s.wbuf)
		s.wbuf = nil
	}
	if s.tr != nil {
		s.tr.CloseIdleConnections()
	}
}

// lend hands the run's kept-alive connection to the next run (ConnPool) and reports whether it
// did. The run's context watch ends first: the run's context ends right after, and must not set
// the connection's deadline in the past under the next run.
func (s *Session) lend(pc *pconn) bool {
	if s.c.conns == nil || time.Since(pc.idleAt) >= maxIdle || pc.br.Buffered() != 0 {
		return false
	}
	if !pc.unwatch() {
		return false
	}
	return s.c.conns.put(s.c.poolKey(pc.key), pc)
}

// poolKey names a server in the ConnPool: a TLS connection only passes between clients that
// verify certificates alike.
func (c *Client) poolKey(key string) string {
	if strings.HasPrefix(key, "https:") {
		return c.tlsTag + key
	}
	return key
}

// pconn is a kept-alive connection of a session.
type pconn struct {
	key      string // scheme://host:port
	conn     net.Conn
	br       *bufio.Reader
	readers  *sync.Pool // where br goes back when the connection is discarded
	fb       *firstByteReader
	notAfter time.Time
	idleAt   time.Time
	// The context whose deadline and cancellation the connection follows, and stop ends that
	// watch. A run sends all its requests under one context, so the watch is set once per
	// connection rather than once per request (two deadline changes and a registration each).
	watched context.Context
	stop    func() bool
}

// maxIdle bounds how long a session reuses a connection: servers close idle keep-alive
// connections after a few seconds (Apache's default is 5 s), and a request must not race that.
const maxIdle = 2 * time.Second

func (pc *pconn) close() {
	if pc.stop != nil {
		pc.stop()
	}
	_ = pc.conn.Close()
}

// unwatch ends the watch of the context the connection followed, before it carries a request
// under another context, and reports whether the connection is still usable: false when the
// context already ended and its watch set the deadline in the past.
func (pc *pconn) unwatch() bool {
	if pc.stop == nil {
		return true
	}
	ok := pc.stop()
	pc.stop, pc.watched = nil, nil
	return ok
}

// discard closes the connection and hands its read buffer back.
func (pc *pconn) discard() {
	pc.close()
	pc.br.Reset(nil)
	pc.readers.Put(pc.br)
}

// firstByteReader reads the connection, noting when the first byte of a response arrives and,
// while a response head is read, bounding how much may be read (net/http's Transport caps
// response headers too; http.ReadResponse alone does not).
type firstByteReader struct {
	c     net.Conn
	t     *time.Time
	limit int64 // >0 while reading a head
	n     int64
}

// maxHeadBytes bounds a response head (status line and headers), read-ahead included.
const maxHeadBytes = 1 << 20

var errHeadTooLarge = errors.New("response header too large")

func (r *firstByteReader) Read(p []byte) (int, error) {
	if r.limit > 0 {
		if r.n >= r.limit {
			return 0, errHeadTooLarge
		}
		if rem := r.limit - r.n; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	n, err := r.c.Read(p)
	r.n += int64(n)
	if n > 0 && r.t != nil && r.t.IsZero() {
		*r.t = time.Now()
	}
	return n, err
}

var aLongTimeAgo = time.Unix(1, 0)

// Request is one request a session sends.
type Request struct {
	Method string // default GET, or POST when Form is set
	URL    string
	// Form is sent as application/x-www-form-urlencoded.
	Form   url.Values
	Header http.Header
	// NoFollow returns the first response even when it is a redirect.
	NoFollow bool
	// Discard reads the final body to its end (so the connection is reused) without keeping it:
	// Response.Raw is empty. For answers nobody reads, such as the login page after a logout.
	Discard bool
}

// Hop is one response of a redirect chain.
type Hop struct {
	Method   string
	URL      string
	Status   int
	Location string
}

// Timing is the latency split of a fetch, summed over its hops.
type Timing struct {
	DNS        time.Duration
	Connect    time.Duration
	TLS        time.Duration
	Processing time.Duration // request written → first response byte (server think time)
	Transfer   time.Duration // first byte → body read
	// FirstByte is from the start of the fetch to the first byte of the last response.
	FirstByte time.Duration
	Total     time.Duration
	// Requests is how many requests the fetch sent, NewConns how many of them opened a connection,
	// TLSResumed how many of those resumed an earlier TLS session (TLSSessions), Borrowed how many
	// went out on a connection an earlier run left (ConnPool).
	Requests   int
	NewConns   int
	TLSResumed int
	Borrowed   int
}

// Phases returns the split under the names Result.Phases uses.
func (t Timing) Phases() map[string]time.Duration {
	return map[string]time.Duration{
		"dns":        t.DNS,
		"connect":    t.Connect,
		"tls":        t.TLS,
		"processing": t.Processing,
		"transfer":   t.Transfer,
	}
}

// Add accumulates another fetch's timing (for a step made of several fetches).
func (t *Timing) Add(o Timing) {
	t.DNS += o.DNS
	t.Connect += o.Connect
	t.TLS += o.TLS
	t.Processing += o.Processing
	t.Transfer += o.Transfer
	t.Total += o.Total
	t.Requests += o.Requests
	t.NewConns += o.NewConns
	t.TLSResumed += o.TLSResumed
	if t.FirstByte == 0 {
		t.FirstByte = o.FirstByte
	}
}

// Response is the last response of a fetch, with its chain and timing.
type Response struct {
	Method string
	// URL is the final URL, after redirects.
	URL    *url.URL
	Status int
	Header http.Header
	// Raw is the body as sent, at most MaxBodyBytes of it.
	Raw []byte
	// Truncated says the body was longer than the cap.
	Truncated bool
	// Hops is every response of the chain in order, the last one included.
	Hops   []Hop
	Timing Timing
	// TLSNotAfter is the expiry of the leaf certificate of the first TLS response; zero over HTTP.
	TLSNotAfter time.Time

	text    []byte
	decoded bool
	sess    *Session // whose memory Raw, the text and the pages on it are
}

// ContentType is the response's Content-Type header.
func (r *Response) ContentType() string { return r.Header.Get("Content-Type") }

// Text is the body decoded to UTF-8 (SEI and SIP pages are ISO-8859-1), decoded once.
func (r *Response) Text() []byte {
	if !r.decoded {
		r.text = decodeBody(r.Raw, r.ContentType(), r.sess)
		r.decoded = true
	}
	return r.text
}

// SafeURL is the final URL, without secrets, for evidence and errors.
func (r *Response) SafeURL() string {
	if r == nil || r.URL == nil {
		return ""
	}
	return probe.SafeURL(r.URL.String())
}

// Get fetches a URL and follows redirects.
func (s *Session) Get(ctx context.Context, u string) (*Response, error) {
	return s.Do(ctx, Request{URL: u})
}

// PostForm submits a form and follows redirects.
func (s *Session) PostForm(ctx context.Context, u string, form url.Values) (*Response, error) {
	return s.Do(ctx, Request{Method: http.MethodPost, URL: u, Form: form})
}

// ErrTooManyRedirects is returned when a chain exceeds MaxRedirects.
var ErrTooManyRedirects = errors.New("too many redirects")

// Do sends a request and, unless NoFollow, follows the redirect chain as a browser does (POST
// becomes GET after 301/302/303; 307/308 repeat the method and body). On error the returned
// Response, when not nil, holds the hops seen so far. Errors never carry the URL's query, which may
// hold an infra_hash.
func (s *Session) Do(ctx context.Context, req Request) (*Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
		if req.Form != nil {
			method = http.MethodPost
		}
	}
	cur, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %s: %w", probe.SafeURL(req.URL), err)
	}
	if cur.Scheme != "http" && cur.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %s: scheme must be http or https", probe.SafeURL(req.URL))
	}
	var body []byte
	if req.Form != nil {
		body = []byte(req.Form.Encode())
	}
	start := time.Now()
	out := &Response{sess: s}
	for hop := 0; ; hop++ {
		ex, err := s.exchange(ctx, method, cur, body, req.Header)
		out.Timing.Requests++
		if err != nil {
			out.Timing.Total = time.Since(start)
			err = fmt.Errorf("%s %s: %w", method, probe.SafeURL(cur.String()), cleanErr(ctx, err))
			if len(out.Hops) == 0 {
				return nil, err
			}
			return out, err
		}
		resp, tr := ex.resp, ex.tr
		if tr.newConn {
			out.Timing.NewConns++
		}
		if tr.borrowed {
			out.Timing.Borrowed++
		}
		if tr.tlsResumed {
			out.Timing.TLSResumed++
		}
		if out.TLSNotAfter.IsZero() && !ex.notAfter.IsZero() {
			out.TLSNotAfter = ex.notAfter
		}
		loc := resp.Header.Get("Location")
		out.Hops = append(out.Hops, Hop{Method: method, URL: cur.String(), Status: resp.StatusCode, Location: loc})
		isRedirect := loc != "" && (resp.StatusCode == 301 || resp.StatusCode == 302 || resp.StatusCode == 303 ||
			resp.StatusCode == 307 || resp.StatusCode == 308)
		if isRedirect && !req.NoFollow {
			// The body of a redirect is not needed: read a little so the connection can be reused.
			n, _ := io.CopyN(io.Discard, resp.Body, 4<<10)
			ex.release(n < 4<<10)
			tr.addTo(&out.Timing, time.Now())
			if hop+1 > s.c.maxRedirects {
				out.Timing.Total = time.Since(start)
				return out, fmt.Errorf("%s %s: %w (more than %d)", method, probe.SafeURL(cur.String()), ErrTooManyRedirects, s.c.maxRedirects)
			}
			next, err := cur.Parse(loc)
			if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
				out.Timing.Total = time.Since(start)
				return out, fmt.Errorf("%s %s: bad redirect location", method, probe.SafeURL(cur.String()))
			}
			if resp.StatusCode != 307 && resp.StatusCode != 308 {
				method, body = http.MethodGet, nil
			}
			cur = next
			continue
		}
		var raw []byte
		var truncated bool
		var rerr error
		if req.Discard {
			var n int64
			n, rerr = io.Copy(io.Discard, io.LimitReader(resp.Body, s.c.maxBody+1))
			truncated = n > s.c.maxBody
		} else {
			var bb *bodyBuf
			bb, truncated, rerr = s.c.readBody(resp.Body, resp.ContentLength)
			s.bodies = append(s.bodies, bb)
			raw = bb.b
		}
		ex.release(rerr == nil && !truncated)
		end := time.Now()
		tr.addTo(&out.Timing, end)
		out.Timing.FirstByte = tr.firstByte.Sub(start)
		out.Timing.Total = end.Sub(start)
		out.Method, out.URL, out.Status, out.Header = method, cur, resp.StatusCode, resp.Header
		out.Raw, out.Truncated = raw, truncated
		if rerr != nil {
			return out, fmt.Errorf("%s %s: reading body: %w", method, probe.SafeURL(cur.String()), cleanErr(ctx, rerr))
		}
		return out, nil
	}
}

// exchange is one request and its response head; the caller reads the body and then calls
// release, saying whether the body was read to its end (so the connection may serve the next
// request).
type exchange struct {
	resp     *http.Response
	tr       *trace
	notAfter time.Time
	// pc is the connection the response came on, nil through the proxy; ctx the request's.
	pc  *pconn
	ctx context.Context
	s   *Session
}

// release ends the exchange once the caller has read the body. It is a method rather than a
// closure made per request: a closure capturing the connection was an allocation each time.
func (ex *exchange) release(bodyDone bool) {
	resp, pc := ex.resp, ex.pc
	if pc == nil {
		_ = resp.Body.Close()
		return
	}
	pc.fb.t = nil
	if !bodyDone || resp.Close || ex.ctx.Err() != nil {
		// Close the connection first: closing a body that was not read to its end makes
		// net/http drain it, which for a capped 50 MB page is the very work the cap avoids.
		_ = pc.conn.Close()
		_ = resp.Body.Close()
		return
	}
	_ = resp.Body.Close()
	pc.idleAt = time.Now()
	ex.s.idle = pc
}

func (s *Session) exchange(ctx context.Context, method string, u *url.URL, body []byte, hdr http.Header) (exchange, error) {
	if p, err := s.c.proxy(u); err == nil && p != nil {
		return s.exchangeProxied(ctx, method, u, body, hdr)
	}
	key := s.connKey(u)
	var pc *pconn
	if s.idle != nil && s.idle.watched != ctx && !s.idle.unwatch() {
		// A request under another context (a step with its own timeout) whose predecessor's
		// context already ended: the connection is not reused.
		s.idle.discard()
		s.idle = nil
	}
	if s.idle != nil {
		if s.idle.key == key && time.Since(s.idle.idleAt) < maxIdle && s.idle.br.Buffered() == 0 {
			pc = s.idle
		} else {
			s.idle.discard()
		}
		s.idle = nil
	}
	borrowed := false
	if pc == nil && s.c.borrow && method == http.MethodGet {
		// Only a GET: if the server closed the connection meanwhile, it is sent again below.
		if pc = s.c.conns.take(s.c.poolKey(key)); pc != nil {
			borrowed = true
			pc.notAfter = time.Time{} // this run did no handshake: the expiry is the lender's finding
		}
	}
	reused := pc != nil
	ex, err := s.send(ctx, pc, method, u, key, body, hdr)
	if ex.tr != nil && err == nil {
		ex.tr.borrowed = borrowed && !ex.tr.newConn
	}
	if err != nil && reused && method == http.MethodGet && ex.tr != nil && ex.tr.firstByte.IsZero() && ctx.Err() == nil {
		// The server closed the kept-alive connection before reading the request (a race every
		// HTTP client meets): a GET is safe to send again on a new connection. A POST is never
		// sent twice: it may be a login.
		ex, err = s.send(ctx, nil, method, u, key, body, hdr)
	}
	return ex, err
}

// connKey names u's server (scheme://host:port) for connections. A run asks for one or two
// servers, so the last name is kept rather than built for every request.
func (s *Session) connKey(u *url.URL) string {
	if s.key == "" || s.keyScheme != u.Scheme || s.keyHost != u.Host {
		s.key, s.keyScheme, s.keyHost = u.Scheme+"://"+u.Host, u.Scheme, u.Host
	}
	return s.key
}

func (s *Session) send(ctx context.Context, pc *pconn, method string, u *url.URL, key string, body []byte, hdr http.Header) (exchange, error) {
	s.trace = trace{start: time.Now()}
	tr := &s.trace
	ex := exchange{tr: tr}
	if pc == nil {
		var err error
		if pc, err = s.dial(ctx, u, key, tr); err != nil {
			return ex, err
		}
		tr.newConn = true
	}
	if pc.watched != ctx {
		dl, _ := ctx.Deadline() // zero: none
		_ = pc.conn.SetDeadline(dl)
		conn := pc.conn
		pc.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
		pc.watched = ctx
	}
	fail := func(err error) (exchange, error) {
		pc.discard()
		return ex, err
	}
	// Head and body (a login form is a few hundred bytes) go out in one write, one segment, from a
	// buffer the session reuses (Write returns only when the kernel has the bytes).
	if s.wbuf == nil {
		s.wbuf = s.c.getHeadBuf()
	}
	s.wbuf.b = append(s.requestHead(s.wbuf.b[:0], method, u, body, hdr), body...)
	if _, err := pc.conn.Write(s.wbuf.b); err != nil {
		return fail(err)
	}
	tr.wrote = time.Now()
	pc.fb.t = &tr.firstByte
	pc.fb.n, pc.fb.limit = 0, maxHeadBytes
	s.hreq = http.Request{Method: method, URL: u}
	resp, err := http.ReadResponse(pc.br, &s.hreq)
	pc.fb.limit = 0
	if err != nil {
		return fail(err)
	}
	if cs := resp.Cookies(); len(cs) > 0 {
		s.jar.SetCookies(u, cs)
	}
	ex.resp = resp
	ex.notAfter = pc.notAfter
	ex.pc, ex.ctx, ex.s = pc, ctx, s
	return ex, nil
}

// requestHead writes an HTTP/1.1 request head the way a browser would send it.
func (s *Session) requestHead(b []byte, method string, u *url.URL, body []byte, hdr http.Header) []byte {
	b = append(b, method...)
	b = append(b, ' ')
	b = appendRequestURI(b, u)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, s.c.ua...)
	if hdr.Get("Accept") == "" {
		b = append(b, "\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"...)
	}
	for k, vs := range hdr {
		if !validHeaderName(k) {
			continue
		}
		for _, v := range vs {
			b = append(b, "\r\n"...)
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, strings.Map(dropCRLF, v)...)
		}
	}
	const cookieHdr = "\r\nCookie: "
	b = append(b, cookieHdr...)
	n := len(b)
	if b = s.jar.appendCookies(b, u); len(b) == n {
		b = b[:n-len(cookieHdr)] // no cookie applies
	}
	if body != nil {
		b = append(b, "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
	}
	return append(b, "\r\n\r\n"...)
}

// appendRequestURI appends u.RequestURI() without building the string: the path and query are
// already in u, and concatenating them was an allocation per request.
func appendRequestURI(b []byte, u *url.URL) []byte {
	if u.Opaque != "" {
		return append(b, u.RequestURI()...)
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	b = append(b, p...)
	if u.ForceQuery || u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	return b
}

func dropCRLF(r rune) rune {
	if r == '\r' || r == '\n' {
		return -1
	}
	return r
}

func validHeaderName(k string) bool {
	if k == "" || strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "User-Agent") {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// dial opens a connection, timing name resolution, connect and TLS apart.
func (s *Session) dial(ctx context.Context, u *url.URL, key string, tr *trace) (*pconn, error) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		tr.dnsStart = time.Now()
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		tr.dnsDone = time.Now()
		if err != nil {
			return nil, err
		}
		addrs = addrs[:0]
		for _, ip := range ips {
			addrs = append(addrs, ip.IP.String())
		}
	}
	tr.connStart = time.Now()
	var conn net.Conn
	var err error
	for _, a := range addrs {
		if conn, err = s.c.dialer.DialContext(ctx, "tcp", net.JoinHostPort(a, port)); err == nil {
			break
		}
	}
	tr.connDone = time.Now()
	if err != nil {
		return nil, err
	}
	conn = rawConn(conn)
	pc := &pconn{key: key, conn: conn}
	if u.Scheme == "https" {
		cfg := s.c.tls.Clone()
		cfg.ServerName = host
		if s.c.sessions != nil {
			cfg.ClientSessionCache = s.c.sessions.forPort(port)
		}
		tc := tls.Client(conn, cfg)
		tr.tlsStart = time.Now()
		err := tc.HandshakeContext(ctx)
		tr.tlsDone = time.Now()
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		// A resumed session carries the certificate of the handshake that opened it, which may
		// have been renewed since: only a full handshake reports the expiry.
		if st := tc.ConnectionState(); st.DidResume {
			tr.tlsResumed = true
		} else if len(st.PeerCertificates) > 0 {
			pc.notAfter = st.PeerCertificates[0].NotAfter
		}
		pc.conn = tc
	}
	pc.fb = &firstByteReader{c: pc.conn}
	pc.br = s.c.getReader(pc.fb)
	pc.readers = &s.c.readers
	return pc, nil
}

// headBuf is a buffer a request is written in, a pointer so the pool holds it without an
// allocation.
type headBuf struct{ b []byte }

// maxPooledHead bounds the buffers kept: a request with a large form body is rare, and its
// buffer is left to the collector.
const maxPooledHead = 16 << 10

func (c *Client) getHeadBuf() *headBuf {
	if hb, _ := c.heads.Get().(*headBuf); hb != nil {
		return hb
	}
	return &headBuf{b: make([]byte, 0, 1024)}
}

func (c *Client) putHeadBuf(hb *headBuf) {
	if cap(hb.b) <= maxPooledHead {
		// Cleared: a request carries the session's cookies and may carry a login form.
		clear(hb.b[:cap(hb.b)])
		hb.b = hb.b[:0]
		c.heads.Put(hb)
	}
}

func (c *Client) getReader(r io.Reader) *bufio.Reader {
	if br, _ := c.readers.Get().(*bufio.Reader); br != nil {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 8<<10)
}

// exchangeProxied sends a request through net/http's Transport (proxy from the environment).
func (s *Session) exchangeProxied(ctx context.Context, method string, u *url.URL, body []byte, hdr http.Header) (exchange, error) {
	if s.hc == nil {
		s.tr = &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         s.c.dialer.DialContext,
			TLSClientConfig:     s.c.tls,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     maxIdle,
		}
		s.hc = &http.Client{Transport: s.tr, Jar: &s.jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	tr := &trace{start: time.Now()}
	ex := exchange{tr: tr}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.clientTrace()), method, u.String(), rd)
	if err != nil {
		return ex, err
	}
	for k, v := range hdr {
		hreq.Header[k] = v
	}
	hreq.Header.Set("User-Agent", s.c.ua)
	if body != nil {
		hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}
	resp, err := s.hc.Do(hreq)
	if err != nil {
		return ex, err
	}
	if tr.firstByte.IsZero() {
		tr.firstByte = time.Now()
	}
	ex.resp = resp
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		ex.notAfter = resp.TLS.PeerCertificates[0].NotAfter
	}
	return ex, nil
}

// cleanErr drops the *url.Error wrapper, whose message repeats the full URL (query included), and
// names a deadline the context set as the context's.
func cleanErr(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is the context's: it may fire a moment before the context
		// itself reports it.
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl.Add(-time.Millisecond)) {
			err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		} else if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("timed out: %w", err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("canceled: %w", err)
	}
	return err
}

type trace struct {
	start, dnsStart, dnsDone, connStart, connDone, tlsStart, tlsDone, wrote, firstByte time.Time
	newConn, tlsResumed, borrowed                                                      bool
}

func (t *trace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { t.dnsStart = time.Now() },
		DNSDone:              func(httptrace.DNSDoneInfo) { t.dnsDone = time.Now() },
		ConnectStart:         func(string, string) { t.connStart = time.Now() },
		ConnectDone:          func(string, string, error) { t.connDone = time.Now() },
		TLSHandshakeStart:    func() { t.tlsStart = time.Now() },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.tlsDone = time.Now() },
		GotConn:              func(i httptrace.GotConnInfo) { t.newConn = !i.Reused },
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.wrote = time.Now() },
		GotFirstResponseByte: func() { t.firstByte = time.Now() },
	}
}

func elapsed(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

func (t *trace) addTo(tm *Timing, end time.Time) {
	tm.DNS += elapsed(t.dnsStart, t.dnsDone)
	tm.Connect += elapsed(t.connStart, t.connDone)
	tm.TLS += elapsed(t.tlsStart, t.tlsDone)
	tm.Processing += elapsed(t.wrote, t.firstByte)
	tm.Transfer += elapsed(t.firstByte, end)
}

// JoinURL builds an instance URL from its base (Target.URL) and a path such as "/sei/". A base that
// already ends in /sei or /sip is cut back to the instance root, so both "https://host" and
// "https://host/sei/" name the same instance.
func JoinURL(base, path string) string {
	b := strings.TrimRight(base, "/")
	for _, suf := range []string{"/sei", "/sip"} {
		if strings.HasSuffix(b, suf) {
			b = strings.TrimSuffix(b, suf)
			break
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return b + path
}
