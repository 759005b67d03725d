package sei

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkTLSSessionsMemory measures what one cached TLS session costs in heap, with a distinct
// RSA-2048 certificate per server as in a real fleet (each instance its own certificate): the
// figure the README's sizing of TLSSessions rests on. b.N is ignored; the fleet is 2,000 servers.
func BenchmarkTLSSessionsMemory(b *testing.B) {
	const servers = 2000
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	certs := map[string]*tls.Certificate{}
	serial := int64(0)
	certFor := func(name string) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if c := certs[name]; c != nil {
			return c, nil
		}
		serial++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, err
		}
		c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
		certs[name] = c
		return c, nil
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) { return certFor(hi.ServerName) },
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte{1}) // completes the handshake and sends the session ticket first
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	sessions := NewTLSSessions(servers)
	connect := func(name string) bool {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: name, InsecureSkipVerify: true, //nolint:gosec // self-signed test certificates
			ClientSessionCache: sessions.forPort(port)})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		var one [1]byte
		if _, err := conn.Read(one[:]); err != nil {
			b.Fatal(err)
		}
		return conn.ConnectionState().DidResume
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	names := make([]string, servers)
	for i := range names {
		names[i] = fmt.Sprintf("sei%04d.orgao.gov.br", i)
		if _, err := certFor(names[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	before := heap()
	for _, n := range names {
		connect(n)
	}
	after := heap()
	b.StopTimer()
	if !connect(names[0]) {
		b.Fatal("a cached session was not resumed")
	}
	runtime.KeepAlive(certs)
	b.ReportMetric(float64(after-before)/servers, "B/session")
}
