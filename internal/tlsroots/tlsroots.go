// Package tlsroots owns how vigia trusts servers an operator points it at with a ca_file: the
// system's roots plus the certificates in that file, for every client that has one (SEI probes,
// Elasticsearch, e-mail, webhooks, the dashboards installer).
package tlsroots

import (
	"crypto/x509"
	"fmt"
	"os"
)

// Pool is the system's roots plus the PEM certificates of caFile. The error names the file and
// says what is wrong with it.
func Pool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}
