package collectors

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// simEnv is a real seisim fleet served over loopback HTTP, in process.
type simEnv struct {
	srv *seisim.Server
	ts  *httptest.Server
}

func newSim(t testing.TB, insts ...seisim.Instance) *simEnv {
	t.Helper()
	srv := seisim.New(seisim.Fleet{Instances: insts, Seed: 1}, seisim.Options{WSSEIAuthDelay: -1})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &simEnv{srv: srv, ts: ts}
}

// newTLSSim serves the fleet over TLS with a certificate expiring at notAfter.
func newTLSSim(t testing.TB, notAfter time.Time, insts ...seisim.Instance) *simEnv {
	t.Helper()
	srv := seisim.New(seisim.Fleet{Instances: insts, Seed: 1}, seisim.Options{WSSEIAuthDelay: -1})
	cert, err := seisim.SelfSignedCert([]string{"127.0.0.1"}, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// A probe that refuses the self-signed certificate is expected; keep its handshake error quiet.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return &simEnv{srv: srv, ts: ts}
}

func monitorCreds() probe.Credentials {
	return probe.Credentials{Username: "monitor", Password: "monitor123", Orgao: "0"}
}

func (e *simEnv) target(name string) probe.Target {
	return probe.Target{Name: name, URL: e.ts.URL + "/" + name, Owner: "MGI", Environment: "prod", Credentials: monitorCreds()}
}

func probeCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func inst(name, sei string, mods ...seisim.Module) seisim.Instance {
	return seisim.Instance{Name: name, Org: "ORGX", SEIVersion: sei, Producao: true, Modules: mods}
}

func TestHealthProber(t *testing.T) {
	env := newSim(t,
		inst("ok-415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}),
		inst("ok-3011", "3.0.11"),
		inst("ok-401", "4.0.1"),
		inst("ok-503", "5.0.3"),
		seisim.Instance{Name: "down", SEIVersion: "4.1.5", Producao: true, Faults: seisim.Faults{Down: true}},
		seisim.Instance{Name: "err500", SEIVersion: "4.1.5", Producao: true, Faults: seisim.Faults{Status500: true}},
		seisim.Instance{Name: "hang", SEIVersion: "4.1.5", Producao: true, Faults: seisim.Faults{Hang: true}},
		seisim.Instance{Name: "slow", SEIVersion: "4.1.5", Producao: true, Faults: seisim.Faults{Slow: 250 * time.Millisecond}},
		seisim.Instance{Name: "maint", SEIVersion: "4.1.5", Producao: true, Faults: seisim.Faults{Maintenance: true}},
		seisim.Instance{Name: "homolog", SEIVersion: "4.1.5", Producao: false},
		inst("wssei-broken", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1", Broken: true}),
	)
	p, err := NewHealthProber(HealthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		deadline   time.Duration
		ok         bool
		state      string
		errHas     string
		values     map[string]float64
		noValues   []string
		minDur     time.Duration
		maxDur     time.Duration
		evidenceOn bool
	}{
		{name: "ok-415", ok: true, state: probe.StateUp,
			values: map[string]float64{ValueHTTPStatusCode: 200, ValueWSDLUp: 1, ValueWSSEIUp: 1, ValueProductionMode: 1, ValueSIPLoginRedirect: 1, ValueMaintenance: 0, ValueRedirects: 1}},
		{name: "ok-3011", ok: true, state: probe.StateUp, values: map[string]float64{ValueHTTPStatusCode: 200, ValueWSDLUp: 1}, noValues: []string{ValueWSSEIUp}},
		{name: "ok-401", ok: true, state: probe.StateUp, values: map[string]float64{ValueHTTPStatusCode: 200}},
		{name: "ok-503", ok: true, state: probe.StateUp, values: map[string]float64{ValueHTTPStatusCode: 200}},
		{name: "down", state: probe.StateDown, errHas: "connection closed", evidenceOn: true},
		{name: "err500", state: probe.StateDown, errHas: "HTTP 500", values: map[string]float64{ValueHTTPStatusCode: 500}, evidenceOn: true},
		{name: "hang", deadline: 300 * time.Millisecond, state: probe.StateDown, errHas: "timed out", maxDur: 2 * time.Second, evidenceOn: true},
		{name: "slow", ok: true, state: probe.StateUp, minDur: 250 * time.Millisecond},
		{name: "maint", state: probe.StateMaintenance, errHas: "maintenance", values: map[string]float64{ValueMaintenance: 1}, evidenceOn: true},
		{name: "homolog", ok: true, state: probe.StateUp, values: map[string]float64{ValueProductionMode: 0}},
		// Broken mod-wssei answers with the middleware's message: the UI is up and healthy, the
		// modules probe reports the module.
		{name: "wssei-broken", ok: true, state: probe.StateUp, values: map[string]float64{ValueWSSEIUp: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.deadline
			if d == 0 {
				d = 10 * time.Second
			}
			start := time.Now()
			r := p.Probe(probeCtx(t, d), env.target(tt.name))
			took := time.Since(start)
			if r.OK != tt.ok || r.State != tt.state {
				t.Fatalf("OK=%v State=%q Error=%q, want OK=%v State=%q", r.OK, r.State, r.Error, tt.ok, tt.state)
			}
			if tt.ok && r.Error != "" {
				t.Errorf("successful result carries an error: %q", r.Error)
			}
			if tt.errHas != "" && !strings.Contains(r.Error, tt.errHas) {
				t.Errorf("Error = %q, want it to mention %q", r.Error, tt.errHas)
			}
			for k, want := range tt.values {
				if got, ok := r.Values[k]; !ok || got != want {
					t.Errorf("Values[%s] = %v (present %v), want %v", k, got, ok, want)
				}
			}
			for _, k := range tt.noValues {
				if _, ok := r.Values[k]; ok {
					t.Errorf("Values[%s] present, want absent", k)
				}
			}
			if r.Probe != probe.Health || r.Target.Name != tt.name || r.Start.IsZero() || r.Duration <= 0 {
				t.Errorf("result identity: %+v", r)
			}
			if tt.minDur > 0 && r.Duration < tt.minDur {
				t.Errorf("duration %v < injected latency %v", r.Duration, tt.minDur)
			}
			if tt.maxDur > 0 && took > tt.maxDur {
				t.Errorf("probe took %v, not bounded by its deadline", took)
			}
			if tt.evidenceOn && (r.Evidence == nil || !strings.Contains(r.Evidence.URL, "/"+tt.name+"/")) {
				t.Errorf("evidence = %+v", r.Evidence)
			}
			if tt.ok {
				for _, ph := range []string{"connect", "processing", "transfer"} {
					if _, ok := r.Phases[ph]; !ok {
						t.Errorf("phase %s missing: %v", ph, r.Phases)
					}
				}
			}
		})
	}
}

func TestHealthProberEvidence(t *testing.T) {
	env := newSim(t, seisim.Instance{Name: "err500", SEIVersion: "4.1.5", Faults: seisim.Faults{Status500: true}})
	p, _ := NewHealthProber(HealthOptions{})
	r := p.Probe(probeCtx(t, 5*time.Second), env.target("err500"))
	if r.Evidence == nil || r.Evidence.Status != 500 || !strings.Contains(r.Evidence.Excerpt, "Fatal error") {
		t.Fatalf("evidence = %+v", r.Evidence)
	}
	if len(r.Evidence.Excerpt) > excerptBytes+len("…") {
		t.Errorf("excerpt of %d bytes", len(r.Evidence.Excerpt))
	}
}

func TestHealthProberTLSExpiry(t *testing.T) {
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	env := newTLSSim(t, notAfter, inst("tls", "4.1.5"))
	strict, _ := NewHealthProber(HealthOptions{})
	r := strict.Probe(probeCtx(t, 5*time.Second), env.target("tls"))
	if r.OK || !strings.Contains(r.Error, "certificate") {
		t.Errorf("self-signed certificate: OK=%v Error=%q", r.OK, r.Error)
	}
	p, _ := NewHealthProber(HealthOptions{Client: clientInsecure()})
	r = p.Probe(probeCtx(t, 5*time.Second), env.target("tls"))
	if !r.OK {
		t.Fatalf("TLS instance: %s", r.Error)
	}
	if got := r.Values[ValueTLSCertExpiry]; got != float64(notAfter.Unix()) {
		t.Errorf("%s = %v, want %v", ValueTLSCertExpiry, got, notAfter.Unix())
	}
	if r.Phases["tls"] <= 0 {
		t.Errorf("tls phase not measured: %v", r.Phases)
	}
}

func TestHealthProberSkips(t *testing.T) {
	env := newSim(t, inst("ok", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	p, _ := NewHealthProber(HealthOptions{SkipWSDL: true, SkipWSSEI: true, CheckExternal: true})
	r := p.Probe(probeCtx(t, 5*time.Second), env.target("ok"))
	if !r.OK {
		t.Fatal(r.Error)
	}
	if _, ok := r.Values[ValueWSDLUp]; ok {
		t.Error("WSDL checked although skipped")
	}
	if _, ok := r.Values[ValueWSSEIUp]; ok {
		t.Error("mod-wssei checked although skipped")
	}
	if r.Values[ValueExternalUp] != 1 {
		t.Errorf("external page: %v", r.Values)
	}
}

func TestHealthProberRecoversAfterFault(t *testing.T) {
	env := newSim(t, inst("flaky", "4.1.5"))
	p, _ := NewHealthProber(HealthOptions{})
	if err := env.srv.SetFaults("flaky", seisim.Faults{Maintenance: true}); err != nil {
		t.Fatal(err)
	}
	if r := p.Probe(probeCtx(t, 5*time.Second), env.target("flaky")); r.State != probe.StateMaintenance {
		t.Fatalf("state %q", r.State)
	}
	_ = env.srv.SetFaults("flaky", seisim.Faults{})
	if r := p.Probe(probeCtx(t, 5*time.Second), env.target("flaky")); !r.OK || r.State != probe.StateUp {
		t.Fatalf("after recovery: %q %q", r.State, r.Error)
	}
}

func clientInsecure() sei.ClientOptions { return sei.ClientOptions{InsecureSkipVerify: true} }

func BenchmarkHealthProbe(b *testing.B) {
	env := newSim(b, inst("b415", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"}))
	p, err := NewHealthProber(HealthOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tg := env.target("b415")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := p.Probe(ctx, tg); !r.OK {
			b.Fatal(r.Error)
		}
	}
}

// helperEnv makes the test binary serve the ~22 KB SIP login page of a real SEI 4.1.5 (the
// fixture) instead of running tests, so the plain-check benchmark measures the client alone. With
// the value "tls" it serves HTTPS with httptest's certificate and writes it where CERT says.
const helperEnv = "VIGIA_BENCH_LOGIN_SERVER"

func TestHelperLoginPageServer(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode != "1" && mode != "tls" {
		t.Skip("helper process for BenchmarkPlainHealthCheck")
	}
	page, err := os.ReadFile("sei/testdata/sip-4.1.5/login.html")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		_, _ = w.Write(page)
	}), ErrorLog: log.New(io.Discard, "", 0)}
	if mode == "tls" {
		ts := httptest.NewUnstartedServer(srv.Handler)
		ts.Listener.Close()
		ts.Listener = ln
		ts.Config.ErrorLog = srv.ErrorLog
		ts.StartTLS()
		defer ts.Close()
		pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
		if err := os.WriteFile(os.Getenv("CERT"), pemCert, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		go func() { _ = srv.Serve(ln) }()
	}
	fmt.Println("ADDR", ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin) // serve until the benchmark closes our stdin
	_ = srv.Close()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startLoginPageServer starts the helper process and returns its address.
func startLoginPageServer(b *testing.B) string { return startHelper(b, "1", "") }

// startHelper starts the helper process in a mode ("1" or "tls", which writes its certificate to
// certFile) and returns its address.
func startHelper(b *testing.B, mode, certFile string) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLoginPageServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "CERT="+certFile)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return a
		}
	}
	b.Fatal("helper server did not start")
	return ""
}

// BenchmarkPlainHealthCheck is the design's reference probe: one GET of the 22 KB SEI login page
// over a new connection and a check of its body (frmLogin), by the health prober with its extra
// checks off. The page is served by a separate process (this test binary re-executed), so
// cpu-ms/op is vigia's CPU alone; compare with blackbox_exporter's 0.89 ms for the same work.
func BenchmarkPlainHealthCheck(b *testing.B) {
	addr := startLoginPageServer(b)
	p, err := NewHealthProber(HealthOptions{EntryPath: "/sip/login.php", SkipWSDL: true, SkipWSSEI: true})
	if err != nil {
		b.Fatal(err)
	}
	tg := probe.Target{Name: "plain", URL: "http://" + addr}
	ctx := context.Background()
	if r := p.Probe(ctx, tg); !r.OK || r.Values[ValueContentLength] < 20000 {
		b.Fatalf("plain check failed: %q %v", r.Error, r.Values)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if r := p.Probe(ctx, tg); !r.OK {
			b.Fatal(r.Error)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkPlainGETNetHTTP is the floor to compare BenchmarkPlainHealthCheck with: the same GET over
// a new connection with net/http's Transport, reading the body and checking nothing.
func BenchmarkPlainGETNetHTTP(b *testing.B) {
	addr := startLoginPageServer(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/sip/login.php", nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkHTTPSRun is what one run's connection costs vigia over HTTPS (a GET of the 22 KB login
// page on a new connection, the certificate verified against a CA file, as in production) with a
// full handshake, as the health probe does every run, and resuming the session an earlier run
// opened (sei.TLSSessions), as the logged-in probes do.
func BenchmarkHTTPSRun(b *testing.B) {
	cert := filepath.Join(b.TempDir(), "ca.pem")
	addr := startHelper(b, "tls", cert)
	u := "https://" + addr + "/sip/login.php"
	for _, bc := range []struct {
		name     string
		sessions *sei.TLSSessions
	}{{"full-handshake", nil}, {"resumed", sei.NewTLSSessions(16)}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := sei.NewClient(sei.ClientOptions{CAFile: cert, TLSSessions: bc.sessions})
			if err != nil {
				b.Fatal(err)
			}
			run := func() sei.Timing {
				s := c.NewSession()
				defer s.Close()
				r, err := s.Get(context.Background(), u)
				if err != nil || len(r.Raw) < 20000 {
					b.Fatalf("GET over TLS: %v", err)
				}
				return r.Timing
			}
			run()
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			resumed := 0
			for i := 0; i < b.N; i++ {
				resumed += run().TLSResumed
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(resumed)/float64(b.N), "resumed/op")
		})
	}
}

func TestFinishTurnsPanicIntoFailure(t *testing.T) {
	r := func() (r probe.Result) {
		r = probe.Result{Probe: probe.Health, Start: time.Now(), OK: true}
		defer finish(&r)
		var steps []probe.Step
		r.Steps = append(r.Steps, steps[len(r.Steps)+1]) // a bug: index out of range
		return r
	}()
	if r.OK || !strings.Contains(r.Error, "internal error in the health prober") || r.Duration <= 0 {
		t.Errorf("%+v", r)
	}
}
