package seisim

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestTargets(t *testing.T) {
	f := Generate(20, 3)
	tf := f.Targets(func(i int, in Instance) string { return "http://127.0.0.1:8480/" + in.Name })
	var buf bytes.Buffer
	if err := WriteTargets(&buf, tf); err != nil {
		t.Fatal(err)
	}
	var back TargetsFile
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Instances) != 20 || back.Instances[0].URL != "http://127.0.0.1:8480/orgao-0001" || back.Instances[0].Owner != f.Instances[0].Org {
		t.Fatalf("targets: %+v", back.Instances[0])
	}
	envs := map[string]bool{}
	for _, tg := range back.Instances {
		envs[tg.Environment] = true
	}
	if !envs["prod"] || !envs["homolog"] || !envs["dev"] {
		t.Errorf("environments %v", envs)
	}
}

func TestSelfSignedCertExpiry(t *testing.T) {
	in := Instance{Faults: Faults{TLSExpiresIn: 72 * time.Hour}}
	want := CertExpiry(in, time.Now())
	cert, err := SelfSignedCert([]string{"127.0.0.1", "localhost"}, want)
	if err != nil {
		t.Fatal(err)
	}
	sim := New(testFleet(), Options{})
	ts := httptest.NewUnstartedServer(sim.Handler())
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(ts.URL + "/orgao-0001/sei/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := res.TLS.PeerCertificates[0].NotAfter
	if d := got.Sub(want); d > time.Second || d < -time.Second {
		t.Errorf("certificate expires %v, want %v", got, want)
	}
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "https://") {
		t.Errorf("TLS redirect %q", loc)
	}
}
