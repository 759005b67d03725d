package collectors

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// HTTPProber is the plain check: one GET of the instance's SEI entry (following redirects to the
// SIP login page), status check and latency. It does the same work as blackbox_exporter's http
// module so the two can be compared, and every run opens a new connection, as a user's first visit.
type HTTPProber struct {
	client    *http.Client
	userAgent string
	// Path is appended to the instance URL; "/sei/" by default.
	Path string
	// MaxBody caps what is read of the body.
	MaxBody int64
}

// HTTPOptions configure the plain HTTP prober.
type HTTPOptions struct {
	UserAgent          string
	InsecureSkipVerify bool
	Path               string
}

// NewHTTPProber builds the plain HTTP prober.
func NewHTTPProber(o HTTPOptions) *HTTPProber {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify}, //nolint:gosec // operator's explicit choice for self-signed homolog instances
		DisableKeepAlives:   true,
		MaxIdleConnsPerHost: -1,
	}
	if o.Path == "" {
		o.Path = "/sei/"
	}
	return &HTTPProber{
		client:    &http.Client{Transport: tr, CheckRedirect: limitRedirects},
		userAgent: o.UserAgent, Path: o.Path, MaxBody: 5 << 20,
	}
}

func limitRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("more than 10 redirects")
	}
	return nil
}

// Name implements Prober.
func (p *HTTPProber) Name() string { return probe.HTTP }

// Probe implements Prober.
func (p *HTTPProber) Probe(ctx context.Context, t probe.Target) probe.Result {
	r := probe.Result{Target: t, Probe: probe.HTTP, Start: time.Now()}
	defer func() { r.Duration = time.Since(r.Start) }()
	u := strings.TrimRight(t.URL, "/") + p.Path
	var gotFirstByte time.Time
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { gotFirstByte = time.Now() }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, u, nil)
	if err != nil {
		r.Fail("invalid instance URL")
		return r
	}
	if p.userAgent != "" {
		req.Header.Set("User-Agent", p.userAgent)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		r.Fail(describeHTTPError(ctx, err))
		r.State = probe.StateDown
		r.Evidence = &probe.Evidence{URL: probe.SafeURL(u)}
		return r
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, p.MaxBody))
	r.SetValue("http_status_code", float64(resp.StatusCode))
	r.SetValue("http_content_length", float64(n))
	if !gotFirstByte.IsZero() {
		r.Phases = map[string]time.Duration{"first_byte": gotFirstByte.Sub(r.Start)}
	}
	switch {
	case err != nil:
		r.Fail("body read failed: " + describeHTTPError(ctx, err))
		r.State = probe.StateDown
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		r.Fail(fmt.Sprintf("HTTP status %d", resp.StatusCode))
		r.State = probe.StateDown
		r.Evidence = &probe.Evidence{URL: probe.SafeURL(resp.Request.URL.String()), Status: resp.StatusCode}
	default:
		r.OK = true
		r.State = probe.StateUp
	}
	return r
}

// describeHTTPError turns transport errors into operator language without echoing URLs (which
// may carry tokens) from the error text.
func describeHTTPError(ctx context.Context, err error) string {
	if ctx.Err() == context.DeadlineExceeded {
		return "timed out"
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case asErr(err, &dnsErr):
		return "DNS lookup failed: " + dnsErr.Err
	case asErr(err, &opErr) && opErr.Op == "dial":
		return "connection failed: " + opErr.Err.Error()
	case strings.Contains(err.Error(), "EOF"):
		return "connection closed by the server without an answer"
	case strings.Contains(err.Error(), "certificate"):
		return "TLS certificate problem: " + lastPart(err.Error())
	}
	return lastPart(err.Error())
}

// lastPart drops the `Get "url": ` prefix net/http puts on errors.
func lastPart(s string) string {
	if i := strings.LastIndex(s, "\": "); i >= 0 {
		return s[i+3:]
	}
	return s
}
