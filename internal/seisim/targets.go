package seisim

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"sort"
	"strconv"
	"time"
)

// Target is one entry of a vigia-style targets file.
type Target struct {
	Name        string            `yaml:"name"`
	URL         string            `yaml:"url"`
	Owner       string            `yaml:"owner"`
	Environment string            `yaml:"environment"`
	Labels      map[string]string `yaml:"labels,omitempty"`
}

// TargetsFile is the document cmd/seisim --print-targets writes.
type TargetsFile struct {
	Instances []Target `yaml:"instances"`
}

// Targets describes the fleet as vigia targets: owner is the órgão, environments vary
// (prod/homolog/dev) deterministically by position, urlFor gives each instance's base URL.
func (f Fleet) Targets(urlFor func(i int, in Instance) string) TargetsFile {
	out := TargetsFile{Instances: make([]Target, 0, len(f.Instances))}
	for i, in := range f.Instances {
		env := "prod"
		switch i % 10 {
		case 7, 8:
			env = "homolog"
		case 9:
			env = "dev"
		}
		cloud := "nuvem-a"
		if i%3 == 2 {
			cloud = "nuvem-b"
		}
		org := in.Org
		if org == "" {
			org = "ORG"
		}
		out.Instances = append(out.Instances, Target{
			Name: in.Name, URL: urlFor(i, in), Owner: org, Environment: env,
			Labels: map[string]string{"cloud": cloud, "source": "seisim"},
		})
	}
	return out
}

// WriteTargets writes the targets file as YAML. It streams the document by hand: yaml.v3's
// encoder builds a node tree that costs ~150 MB of RSS for a 10,000-instance fleet.
func WriteTargets(w io.Writer, t TargetsFile) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("instances:\n")
	for _, tg := range t.Instances {
		fmt.Fprintf(bw, "  - name: %s\n    url: %s\n    owner: %s\n    environment: %s\n",
			yamlStr(tg.Name), yamlStr(tg.URL), yamlStr(tg.Owner), yamlStr(tg.Environment))
		if len(tg.Labels) > 0 {
			bw.WriteString("    labels:\n")
			keys := make([]string, 0, len(tg.Labels))
			for k := range tg.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(bw, "      %s: %s\n", yamlStr(k), yamlStr(tg.Labels[k]))
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("seisim: write targets: %w", err)
	}
	return nil
}

// yamlStr quotes a scalar as a JSON string, which YAML reads as a double-quoted scalar.
func yamlStr(s string) string { return strconv.Quote(s) }

// SelfSignedCert makes a certificate for hosts (names or IPs) that expires at notAfter, so a
// TLS probe sees the expiry faults.tls_expires_in asks for.
func SelfSignedCert(hosts []string, notAfter time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("seisim: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("seisim: certificate serial: %w", err)
	}
	notBefore := notAfter.Add(-365 * 24 * time.Hour)
	if now := time.Now(); notBefore.After(now) {
		notBefore = now.Add(-time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{"seisim"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("seisim: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("seisim: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// CertExpiry is when an instance's certificate should expire: faults.tls_expires_in from now, or
// a year when unset.
func CertExpiry(in Instance, now time.Time) time.Time {
	if in.Faults.TLSExpiresIn > 0 {
		return now.Add(in.Faults.TLSExpiresIn)
	}
	return now.Add(365 * 24 * time.Hour)
}
