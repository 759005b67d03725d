package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigia-sei/vigia/internal/tlsroots"
)

// DefaultTimeout bounds one request when the receiver sets none.
const DefaultTimeout = 10 * time.Second

// TLSOptions are the TLS settings a receiver may carry.
type TLSOptions struct {
	CAFile             string
	CertFile, KeyFile  string
	ServerName         string
	InsecureSkipVerify bool
}

// TLSConfig builds a client TLS config: extra roots from CAFile (on top of the system's), a
// client certificate when CertFile/KeyFile are set.
func TLSConfig(o TLSOptions) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if o.CAFile != "" {
		pool, err := tlsroots.Pool(o.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate %s: %w", o.CertFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// Client posts JSON documents. It never puts the target URL's path or query in an error: webhook
// URLs (Slack, Teams, Mattermost) carry their secret there.
type Client struct {
	hc        *http.Client
	userAgent string
}

// ClientOptions configure a Client.
type ClientOptions struct {
	Timeout   time.Duration
	TLS       TLSOptions
	UserAgent string
}

// NewClient builds a Client with its own transport (no shared global state).
func NewClient(o ClientOptions) (*Client, error) {
	tc, err := TLSConfig(o.TLS)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = "vigia"
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Client{
		hc: &http.Client{Transport: tr, Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			// A redirected POST becomes a GET; better to fail loudly than to lose the body.
			return http.ErrUseLastResponse
		}},
		userAgent: o.UserAgent,
	}, nil
}

// HTTPClient exposes the underlying client for libraries that take one (slack-go).
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Response is what came back from a successful POST.
type Response struct {
	Status int
	Body   []byte
}

// Post sends body to rawURL. A non-2xx answer is an error; retryable says whether trying again may
// help: network failures, timeouts, 408, 429 and 5xx are; other 4xx (a rejected payload, a revoked
// URL) are not.
func (c *Client) Post(ctx context.Context, rawURL string, body []byte, header http.Header) (Response, bool, error) {
	where := Redact(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Response{}, false, fmt.Errorf("build request for %s: invalid URL", where)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Response{}, !permanent(err), fmt.Errorf("POST %s: %w", where, scrub(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	r := Response{Status: resp.StatusCode, Body: b}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return r, false, nil
	}
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	return r, retry, &StatusError{Where: where, Status: resp.StatusCode, Body: Excerpt(b, 200)}
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Where  string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("POST %s: HTTP %d", e.Where, e.Status)
	}
	return fmt.Sprintf("POST %s: HTTP %d: %s", e.Where, e.Status, e.Body)
}

// Redact keeps only scheme and host of a URL: webhook URLs carry their secret in the path.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// permanent reports transport failures that repeating cannot fix: the peer's certificate is not
// trusted, or the peer refused ours.
func permanent(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var aerr tls.AlertError // the peer refused us (no or wrong client certificate)
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &aerr) ||
		// net/http flattens a refusal seen on the first read into text.
		strings.Contains(err.Error(), "remote error: tls:")
}

// scrub drops the URL net/http puts in its errors, keeping the cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", errors.Unwrap(ue))
		}
		return ue.Err
	}
	return err
}

// Excerpt is a short single-line copy of a response body for an error message.
func Excerpt(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
