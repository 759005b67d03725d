package collectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
)

// HealthOptions configure the health prober. The zero value checks the entry, the SOAP WSDL and
// mod-wssei.
type HealthOptions struct {
	// Client holds the HTTP knobs (User-Agent, TLS, body cap).
	Client sei.ClientOptions `yaml:",inline"`
	// EntryPath is fetched from the instance root; "/sei/" by default (SEI redirects it to SIP).
	EntryPath string `yaml:"entry_path,omitempty"`
	// SkipWSDL skips GET /sei/controlador_ws.php?servico=sei.
	SkipWSDL bool `yaml:"skip_wsdl,omitempty"`
	// SkipWSSEI skips mod-wssei's GET /orgao/listar (a database round trip, where installed).
	SkipWSSEI bool `yaml:"skip_wssei,omitempty"`
	// CheckExternal also opens the external users' login page (controlador_externo.php).
	CheckExternal bool `yaml:"check_external,omitempty"`
	// Shared, when set, passes an entry that reached SIP's login form to the version probe and a
	// /orgao/listar that answered its list to the modules probe.
	Shared *SharedAnswers `yaml:"-"`
}

// HealthProber checks that an instance serves its users: the entry redirects to SIP's login page,
// which answers 200 with frmLogin (the test sei-docker's Kubernetes probes use); the maintenance
// page is its own state; the TLS certificate's expiry and the latency split are recorded; the SOAP
// WSDL and mod-wssei (where installed) answer. A hung instance costs one deadline, no more.
type HealthProber struct {
	c    *sei.Client
	opts HealthOptions
}

// NewHealthProber builds the health prober.
func NewHealthProber(o HealthOptions) (*HealthProber, error) {
	c, err := sei.NewClient(o.Client)
	if err != nil {
		return nil, fmt.Errorf("health prober: %w", err)
	}
	if o.EntryPath == "" {
		o.EntryPath = "/sei/"
	}
	return &HealthProber{c: c, opts: o}, nil
}

// Name implements Prober.
func (p *HealthProber) Name() string { return probe.Health }

// Probe implements Prober.
func (p *HealthProber) Probe(ctx context.Context, t probe.Target) (r probe.Result) {
	r = probe.Result{Target: t, Probe: probe.Health, Start: time.Now()}
	defer finish(&r)
	s := p.c.NewSession()
	defer s.CloseKeep(&r)

	entryURL := sei.JoinURL(t.URL, p.opts.EntryPath)
	resp, err := s.Get(ctx, entryURL)
	if resp != nil {
		recordFetch(&r, resp)
	}
	if err != nil {
		r.State = probe.StateDown
		r.Fail(reason(ctx, err))
		r.Evidence = evidenceOf("entry", entryURL, resp)
		return r
	}
	// The raw bytes are enough: every marker the scan needs is ASCII, and skipping the charset
	// decoding keeps the plain check cheap.
	scan := sei.ScanVersions(resp.Raw)
	if prod, ok := scan.ProductionMode(); ok {
		r.SetValue(ValueProductionMode, b2f(prod))
	}
	r.SetValue(ValueSIPLoginRedirect, b2f(strings.Contains(resp.URL.Path, "/sip/login.php")))
	switch {
	case scan.Maintenance || (resp.Status == 503 && !scan.LoginForm):
		r.State = probe.StateMaintenance
		r.SetValue(ValueMaintenance, 1)
		r.Fail("instance in maintenance: " + titleOr(scan.Title, "maintenance page"))
		r.Evidence = evidenceOf("entry", entryURL, resp)
		return r
	case resp.Status != 200:
		r.State = probe.StateDown
		r.Fail(fmt.Sprintf("HTTP %d at %s", resp.Status, resp.SafeURL()))
		r.Evidence = evidenceOf("entry", entryURL, resp)
		return r
	case !scan.LoginForm:
		r.State = probe.StateDown
		r.Fail("SIP login form (frmLogin) missing at " + resp.SafeURL())
		r.Evidence = evidenceOf("entry", entryURL, resp)
		return r
	}
	r.SetValue(ValueMaintenance, 0)
	r.State = probe.StateUp
	r.OK = true
	if p.opts.EntryPath == sharedEntryPath {
		p.opts.Shared.putEntry(t.Name, t.URL, p.c.Settings(), resp, scan, time.Now())
	}

	// The UI is up; the other surfaces decide whether the instance is fully healthy.
	var problems []string
	if !p.opts.SkipWSDL {
		u := sei.JoinURL(t.URL, sei.WSDLPath+"?servico=sei")
		wr, err := s.Get(ctx, u)
		ok := err == nil && wr.Status == 200 && sei.ClassifyWSDL(wr.Raw, wr.ContentType()) == sei.WSDLOK
		r.SetValue(ValueWSDLUp, b2f(ok))
		if !ok {
			problems = append(problems, "SOAP WSDL: "+surfaceProblem(ctx, err, wr))
			if r.Evidence == nil {
				r.Evidence = evidenceOf("wsdl", u, wr)
			}
		}
	}
	if !p.opts.SkipWSSEI {
		u := sei.JoinURL(t.URL, sei.WSSEIOrgaos)
		wr, err := s.Get(ctx, u)
		if err != nil {
			r.SetValue(ValueWSSEIUp, 0)
			problems = append(problems, "mod-wssei: "+reason(ctx, err))
		} else if a, perr := sei.ParseWSSEI(wr.Text()); perr == nil {
			// Installed. Inactive or incompatible is the modules probe's finding; here only a
			// failing database round trip makes the instance unhealthy.
			up := a.State == sei.WSSEIOK && wr.Status == 200
			r.SetValue(ValueWSSEIUp, b2f(up))
			if up {
				p.opts.Shared.putOrgaosUp(t.Name, t.URL, time.Now())
			}
			if a.State == sei.WSSEIError || wr.Status >= 500 {
				problems = append(problems, fmt.Sprintf("mod-wssei /orgao/listar: HTTP %d %s", wr.Status, sei.Truncate(a.Message, 120)))
				if r.Evidence == nil {
					r.Evidence = evidenceOf("wssei", u, wr)
				}
			}
		} else if wr.Status >= 500 {
			r.SetValue(ValueWSSEIUp, 0)
			problems = append(problems, fmt.Sprintf("mod-wssei /orgao/listar: HTTP %d", wr.Status))
			if r.Evidence == nil {
				r.Evidence = evidenceOf("wssei", u, wr)
			}
		}
		// Anything else (404, an HTML page) means mod-wssei is not installed: no value.
	}
	if p.opts.CheckExternal {
		u := sei.JoinURL(t.URL, externalLoginPath)
		er, err := s.Get(ctx, u)
		ok := err == nil && er.Status == 200 && sei.ScanVersions(er.Raw).LoginForm
		r.SetValue(ValueExternalUp, b2f(ok))
		if !ok {
			problems = append(problems, "external users' page: "+surfaceProblem(ctx, err, er))
			if r.Evidence == nil {
				r.Evidence = evidenceOf("external", u, er)
			}
		}
	}
	if len(problems) > 0 {
		r.Fail(strings.Join(problems, "; "))
	}
	return r
}

// externalLoginPath is the external users' login page, public since SEI 4.0.
const externalLoginPath = "/sei/controlador_externo.php?acao=usuario_externo_logar&id_orgao_acesso_externo=0"

// The helpers below are shared by the SEI probers (health, version, modules, synthetic).

// finish fills what every Result carries. Deferred by every Probe, it also turns a panic (a parser
// bug meeting an unexpected page) into a failed result: a prober never takes the scheduler down.
func finish(r *probe.Result) {
	if v := recover(); v != nil {
		r.OK = false
		r.Error = fmt.Sprintf("internal error in the %s prober: %v", r.Probe, v)
	}
	r.Duration = time.Since(r.Start)
	if r.OK {
		r.Error = ""
	}
}

// openEntry opens the instance's /sei/ (which redirects to SIP's login page), as the version and
// modules probes do first, and records the fetch on r. ok is false when r already says why the run
// ends there: down, in maintenance, or an HTTP error.
func openEntry(ctx context.Context, s *sei.Session, t probe.Target, r *probe.Result) (entry *sei.Response, scan sei.VersionScan, ok bool) {
	entryURL := sei.JoinURL(t.URL, "/sei/")
	entry, err := s.Get(ctx, entryURL)
	scan, ok = judgeEntry(ctx, r, "entry", entryURL, entry, err)
	return entry, scan, ok
}

// judgeEntry records a run's main request (the entry, or the landing page of a resumed session)
// and sets the result's state from it: down when it failed or did not answer 200, maintenance when
// it is the maintenance page. ok says the run goes on.
func judgeEntry(ctx context.Context, r *probe.Result, step, rawURL string, resp *sei.Response, err error) (scan sei.VersionScan, ok bool) {
	if resp != nil {
		recordFetch(r, resp)
	}
	if err != nil {
		r.State = probe.StateDown
		r.Fail(reason(ctx, err))
		r.Evidence = evidenceOf(step, rawURL, resp)
		return scan, false
	}
	scan = sei.ScanVersions(resp.Raw)
	if scan.Maintenance {
		r.State = probe.StateMaintenance
		r.SetValue(ValueMaintenance, 1)
		r.Fail("instance in maintenance: " + titleOr(scan.Title, "maintenance page"))
		r.Evidence = evidenceOf(step, rawURL, resp)
		return scan, false
	}
	if resp.Status != 200 {
		r.State = probe.StateDown
		r.Fail(fmt.Sprintf("HTTP %d at %s", resp.Status, resp.SafeURL()))
		r.Evidence = evidenceOf(step, rawURL, resp)
		return scan, false
	}
	r.State = probe.StateUp
	return scan, true
}

// recordFetch records the main request's status, latency split and certificate expiry.
func recordFetch(r *probe.Result, resp *sei.Response) {
	f := figuresOf(resp)
	f.record(r)
}

// fetchFigures are what a result records of its main request. A probe that reads another probe's
// fetch (sharedEntry) records the same figures; they are kept compact because the shared ones are
// kept per instance.
type fetchFigures struct {
	status, redirects int32
	length            int64
	dns, connect, tls time.Duration
	processing        time.Duration
	transfer          time.Duration
	firstByte         time.Duration
	tlsNotAfter       int64 // Unix seconds; 0: none (plain HTTP, or a resumed TLS session)
}

func figuresOf(resp *sei.Response) fetchFigures {
	f := fetchFigures{status: int32(resp.Status), redirects: int32(max(len(resp.Hops)-1, 0)), length: int64(len(resp.Raw)),
		dns: resp.Timing.DNS, connect: resp.Timing.Connect, tls: resp.Timing.TLS, processing: resp.Timing.Processing,
		transfer: resp.Timing.Transfer, firstByte: resp.Timing.FirstByte}
	if !resp.TLSNotAfter.IsZero() {
		f.tlsNotAfter = resp.TLSNotAfter.Unix()
	}
	return f
}

func (f *fetchFigures) record(r *probe.Result) {
	if f.status != 0 {
		r.SetValue(ValueHTTPStatusCode, float64(f.status))
	}
	r.Phases = sei.Timing{DNS: f.dns, Connect: f.connect, TLS: f.tls, Processing: f.processing, Transfer: f.transfer}.Phases()
	if f.firstByte > 0 {
		r.SetValue(ValueTimeToFirstByte, f.firstByte.Seconds())
	}
	r.SetValue(ValueRedirects, float64(f.redirects))
	r.SetValue(ValueContentLength, float64(f.length))
	if f.tlsNotAfter != 0 {
		r.SetValue(ValueTLSCertExpiry, float64(f.tlsNotAfter))
	}
}

// reason turns a fetch error into an operator-facing sentence without URLs' queries.
func reason(ctx context.Context, err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return "timed out: no complete answer before the probe's deadline"
	case errors.As(err, &dnsErr):
		return "DNS lookup failed: " + dnsErr.Err
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection failed: " + opErr.Err.Error()
	case errors.Is(err, sei.ErrTooManyRedirects):
		return "redirect loop"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server without an answer"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	}
	msg := err.Error()
	if strings.Contains(msg, "certificate") {
		return "TLS certificate problem: " + msg
	}
	return msg
}

// surfaceProblem describes a secondary check's failure.
func surfaceProblem(ctx context.Context, err error, r *sei.Response) string {
	if err != nil {
		return reason(ctx, err)
	}
	if r.Status != 200 {
		return fmt.Sprintf("HTTP %d", r.Status)
	}
	return "unexpected answer"
}

// excerptBytes bounds an evidence excerpt.
const excerptBytes = 300

// evidenceOf keeps what a failing request saw: step, URL without secrets, status and a short
// excerpt of the page (its messages, or its title and text), with secrets scrubbed.
func evidenceOf(step, rawURL string, r *sei.Response, secrets ...string) *probe.Evidence {
	ev := &probe.Evidence{Step: step, URL: probe.SafeURL(rawURL)}
	if r == nil {
		return ev
	}
	if r.URL != nil {
		ev.URL = r.SafeURL()
	}
	ev.Status = r.Status
	ev.Excerpt = excerpt(r, secrets...)
	return ev
}

func excerpt(r *sei.Response, secrets ...string) string {
	if r == nil || len(r.Raw) == 0 {
		return ""
	}
	var text string
	ct := strings.ToLower(r.ContentType())
	if strings.Contains(ct, "html") || ct == "" || sei.ScanVersions(r.Raw).Title != "" {
		p, err := sei.ParseResponse(r)
		if err == nil {
			parts := []string{}
			if t := p.Title(); t != "" {
				parts = append(parts, t)
			}
			if m := p.Messages(); len(m) > 0 {
				parts = append(parts, strings.Join(m, "; "))
			} else {
				parts = append(parts, p.MainText(excerptBytes))
			}
			text = strings.Join(parts, " | ")
		}
	}
	if text == "" {
		text = strings.Join(strings.Fields(string(r.Text()[:min(len(r.Text()), 4*excerptBytes)])), " ")
	}
	for _, s := range secrets {
		if len(s) >= 3 {
			text = strings.ReplaceAll(text, s, "xxxxx")
		}
	}
	return sei.Truncate(text, excerptBytes)
}

func titleOr(title, def string) string {
	if t := strings.TrimSpace(title); t != "" {
		return t
	}
	return def
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
