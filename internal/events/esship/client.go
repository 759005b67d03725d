package esship

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/vigia-sei/vigia/internal/tlsroots"
)

// ClientOptions say how to reach the store.
type ClientOptions struct {
	Addresses []string
	// APIKey is the base64 "id:key" token Kibana shows as the encoded API key; it wins over
	// Username/Password.
	APIKey             string
	Username, Password string
	CAFile             string
	CertFile, KeyFile  string
	InsecureSkipVerify bool
	Compress           bool
	// Conns bounds idle connections kept per host (the bulk workers plus bootstrap).
	Conns int
}

// NewClient builds a go-elasticsearch client. Retries inside the client are few and short, for
// blips; the shipper's own loop, which rewinds to the disk buffer, handles outages.
func NewClient(o ClientOptions) (*elasticsearch.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if o.CAFile != "" {
		pool, err := tlsroots.Pool(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("outputs.elasticsearch.ca_file: %w", err)
		}
		tlsCfg.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load outputs.elasticsearch client certificate: %w", err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	conns := max(o.Conns, 2)
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          conns * 2,
		MaxIdleConnsPerHost:   conns,
		ForceAttemptHTTP2:     true,
	}
	cfg := elasticsearch.Config{
		Addresses:           o.Addresses,
		APIKey:              o.APIKey,
		Username:            o.Username,
		Password:            o.Password,
		Transport:           tr,
		CompressRequestBody: o.Compress,
		PoolCompressor:      o.Compress,
		RetryOnStatus:       []int{429, 502, 503, 504},
		MaxRetries:          2,
		RetryBackoff: func(attempt int) time.Duration {
			d := 100 * time.Millisecond << min(attempt, 4)
			return d/2 + rand.N(d/2+1)
		},
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return es, nil
}
