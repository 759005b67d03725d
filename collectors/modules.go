package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
)

// Module.Detail values the modules prober sets besides free text.
const (
	// ModuleMissing: desired in Git, and a surface that would show the module says it is absent.
	ModuleMissing = "missing"
	// ModuleUnverifiable: desired in Git, not seen, and nothing reachable could show it (the
	// account cannot see the module list and the module has no public surface).
	ModuleUnverifiable = "not verifiable without the module list"
)

// ModulesOptions configure the modules prober.
type ModulesOptions struct {
	Client sei.ClientOptions `yaml:",inline"`
	// Desired gives desired and latest module versions; nil means no drift is computed.
	Desired DesiredStateSource `yaml:"-"`
	// MatrixFile is merged over the embedded module catalogue and compatibility matrix;
	// Catalogue, when set, is used as is (tests).
	MatrixFile string         `yaml:"matrix_file,omitempty"`
	Catalogue  *sei.Catalogue `yaml:"-"`
	// NoLogin never logs in: only public surfaces (mod-wssei, WSDL services) are checked.
	NoLogin bool `yaml:"no_login,omitempty"`
	// SkipWSDL skips the per-module WSDL services.
	SkipWSDL bool `yaml:"skip_wsdl,omitempty"`
	// WSSEIAuthenticate obtains a mod-wssei token with the target's credentials when none is
	// configured (mod-wssei sleeps ~3 s per /autenticar).
	WSSEIAuthenticate bool `yaml:"wssei_authenticate,omitempty"`
	// LoggedIn, when set, learns the landing page of each login for the version probe.
	LoggedIn *LoggedInPages `yaml:"-"`
	// Sessions, when set, keeps each instance's SIP session from one run to the next instead of
	// logging in and out every run; KeepSession (required with Sessions) is how long one session
	// serves before the probe logs out and logs in afresh.
	Sessions    *KeptSessions `yaml:"-"`
	KeepSession time.Duration `yaml:"-"`
	// Shared, when set, lets the probe read mod-wssei's /versao and /orgao/listar answers the
	// version and health probes got a moment ago instead of asking again.
	Shared *SharedAnswers `yaml:"-"`
}

// ModulesProber finds the installed modules, their versions and whether each answers: the module
// list (Infra > Módulos, when the account may see it), mod-wssei (/versao, /orgao/listar), each
// module's WSDL service, and the menu's acao= prefixes. Each module is checked against the
// compatibility matrix for the observed SEI version and against desired state.
type ModulesProber struct {
	c    *sei.Client
	opts ModulesOptions
	cat  *sei.Catalogue
	// table ties an Infra version to its SEI release, to tell when mod-wssei's v1 cannot be there.
	table *sei.VersionTable
}

// NewModulesProber builds the modules prober.
func NewModulesProber(o ModulesOptions) (*ModulesProber, error) {
	if o.Sessions != nil && o.KeepSession <= 0 {
		return nil, fmt.Errorf("modules prober: keeping sessions needs a positive KeepSession, got %s", o.KeepSession)
	}
	c, err := sei.NewClient(o.Client)
	if err != nil {
		return nil, fmt.Errorf("modules prober: %w", err)
	}
	cat := o.Catalogue
	if cat == nil && o.MatrixFile != "" {
		if cat, err = sei.LoadCatalogue(o.MatrixFile); err != nil {
			return nil, fmt.Errorf("modules prober: %w", err)
		}
	}
	if cat == nil {
		cat = sei.DefaultCatalogue()
	}
	return &ModulesProber{c: c, opts: o, cat: cat, table: sei.DefaultVersionTable()}, nil
}

// Name implements Prober.
func (p *ModulesProber) Name() string { return probe.Modules }

// modObs is what the run learnt about one module.
type modObs struct {
	version    string
	up         *bool
	compatible *bool
	details    []string
}

type modRun struct {
	mods map[string]*modObs
	// checked says which kinds of surface were looked at, to tell "absent" from "not looked for".
	listSeen, wsseiChecked, wsdlChecked, menuSeen bool
	sei                                           string      // exact SEI version, for the matrix
	wsdlPending                                   [][2]string // module key, problem
}

func (m *modRun) get(key string) *modObs {
	if o, ok := m.mods[key]; ok {
		return o
	}
	o := &modObs{}
	m.mods[key] = o
	return o
}

func setFalse(p **bool) {
	f := false
	*p = &f
}

// Probe implements Prober.
func (p *ModulesProber) Probe(ctx context.Context, t probe.Target) (r probe.Result) {
	r = probe.Result{Target: t, Probe: probe.Modules, Start: time.Now()}
	defer finish(&r)
	s := p.c.NewSession()
	defer s.CloseKeep(&r)

	login := !p.opts.NoLogin && !t.Credentials.Empty()
	var (
		entry   *sei.Response
		resumed *resumedLogin
	)
	if !login {
		// The account was removed from the target: end the session an earlier run kept.
		if ks, ok := p.opts.Sessions.take(t.Name); ok {
			ks.logout(ctx)
		}
	} else {
		var stop bool
		if resumed, stop = p.resume(ctx, s, t, &r); stop {
			return r
		}
	}
	var seen sei.VersionScan // what the first page says of the versions, for checkWSSEI
	if resumed == nil {
		var ok bool
		if entry, seen, ok = openEntry(ctx, s, t, &r); !ok {
			return r
		}
	} else {
		seen = resumed.scan
	}

	run := &modRun{mods: map[string]*modObs{}}
	var notes []string
	p.checkWSSEI(ctx, s, t, wsseiV1Possible(seen, p.table), run, &r)
	if !p.opts.SkipWSDL {
		p.checkWSDL(ctx, s, t, run)
	}
	if login {
		if note := p.checkLoggedIn(ctx, s, t, entry, resumed, run, &r); note != "" {
			notes = append(notes, note)
		}
	}
	applyWSDLPending(run)
	problems := p.assemble(t, run, &r)
	r.SetValue(ValueModulesInstalled, float64(countIf(r.Modules, func(m probe.Module) bool { return m.Detail != ModuleMissing && m.Detail != ModuleUnverifiable })))
	r.SetValue(ValueModulesDown, float64(countIf(r.Modules, func(m probe.Module) bool { return m.Up != nil && !*m.Up })))
	r.SetValue(ValueModulesIncompat, float64(countIf(r.Modules, func(m probe.Module) bool { return m.Compatible != nil && !*m.Compatible })))
	r.SetValue(ValueModulesMissing, float64(countIf(r.Modules, func(m probe.Module) bool { return m.Detail == ModuleMissing })))
	if len(problems) > 0 {
		r.Fail(strings.Join(append(problems, notes...), "; "))
		return r
	}
	r.OK = true
	return r
}

func countIf(ms []probe.Module, f func(probe.Module) bool) int {
	n := 0
	for _, m := range ms {
		if f(m) {
			n++
		}
	}
	return n
}

// checkWSSEI reads mod-wssei: /versao tells installed, active, compatible and versions;
// /orgao/listar (a database round trip) tells whether it works.
func (p *ModulesProber) checkWSSEI(ctx context.Context, s *sei.Session, t probe.Target, v1 bool, run *modRun, r *probe.Result) {
	run.wsseiChecked = true
	a, err := p.opts.Shared.readVersao(ctx, s, t, p.opts.WSSEIAuthenticate, v1)
	if err != nil || !a.Installed() {
		return
	}
	key, _ := p.cat.Key("wssei")
	o := run.get(key)
	switch a.State {
	case sei.WSSEIOK:
		o.version = a.WSSEI
		if a.SEI != "" {
			run.sei = a.SEI
		}
	case sei.WSSEIInactive:
		setFalse(&o.up)
		o.details = append(o.details, "inactive: "+a.Message)
		return
	case sei.WSSEIIncompatible:
		setFalse(&o.up)
		setFalse(&o.compatible)
		o.details = append(o.details, a.Message)
		if a.IncompatibleWith != "" {
			run.sei = a.IncompatibleWith
		}
		return
	case sei.WSSEIError:
		setFalse(&o.up)
		o.details = append(o.details, "/versao: "+sei.Truncate(a.Message, 120))
		return
	}
	if !a.V1 && p.opts.Shared.orgaosUp(t.Name, t.URL, time.Now()) {
		o.up = probe.BoolPtr(true) // the health probe's /orgao/listar a moment ago
		return
	}
	u := sei.JoinURL(t.URL, sei.WSSEIOrgaos)
	if a.V1 {
		u = sei.JoinURL(t.URL, sei.WSSEIOrgaosV1)
	}
	lr, err := s.Do(ctx, sei.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		setFalse(&o.up)
		o.details = append(o.details, "/orgao/listar: "+reason(ctx, err))
		return
	}
	la, perr := sei.ParseWSSEI(lr.Text())
	up := perr == nil && la.State == sei.WSSEIOK && lr.Status == 200
	o.up = probe.BoolPtr(up)
	if !up {
		msg := fmt.Sprintf("/orgao/listar: HTTP %d", lr.Status)
		if la.Message != "" {
			msg += " " + sei.Truncate(la.Message, 120)
		}
		o.details = append(o.details, msg)
		if r.Evidence == nil {
			r.Evidence = evidenceOf("wssei", u, lr)
		}
	}
}

// resumedLogin is the landing page of a session an earlier run kept, opened again, when that
// session logged in, and what the page says about versions (read once, when it was judged as the
// run's main request).
type resumedLogin struct {
	*sei.LoginResult
	since time.Time
	scan  sei.VersionScan
}

// resume opens the landing page of the session the instance's previous run kept, which then
// serves as the run's main request. It returns nil when there is none, or it is too old, or SEI
// ended it: the run logs in afresh. stop says the instance is down or in maintenance (r says so)
// and the run ends, as it would at the entry.
func (p *ModulesProber) resume(ctx context.Context, s *sei.Session, t probe.Target, r *probe.Result) (_ *resumedLogin, stop bool) {
	ks, ok := p.opts.Sessions.take(t.Name)
	if !ok {
		return nil, false
	}
	now := time.Now()
	if ks.client.UserAgent() != p.c.UserAgent() || ks.url != t.URL || ks.user != t.Credentials.Username ||
		now.Sub(ks.since) >= p.opts.KeepSession || now.Sub(ks.lastUsed) >= keptSessionIdle {
		// Not resumed (old, idle long, or the target or account changed): ended, so that SIP's
		// login table keeps no session vigia forgot.
		ks.logout(ctx)
		return nil, false
	}
	lr, err := sei.Resume(ctx, s, ks.KeptLogin)
	if errors.Is(err, sei.ErrSessionEnded) {
		s.ClearCookies()
		return nil, false
	}
	var landing *sei.Response
	if lr != nil {
		landing = lr.Landing
	}
	if errors.Is(err, sei.ErrMaintenance) {
		err = nil // judgeEntry tells the maintenance page itself
	}
	scan, ok := judgeEntry(ctx, r, "landing", ks.Landing, landing, err)
	if !ok {
		if r.State == probe.StateDown {
			// The instance did not answer: the session may well outlive the outage.
			if old, ok := p.opts.Sessions.put(t.Name, ks); ok {
				old.logout(ctx)
			}
		}
		return nil, true
	}
	return &resumedLogin{LoginResult: lr, since: ks.since, scan: scan}, false
}

// checkLoggedIn logs in (or resumes the kept session) and reads the landing page (SEI version,
// module menus, module assets) and, when the account may see it, the module list.
func (p *ModulesProber) checkLoggedIn(ctx context.Context, s *sei.Session, t probe.Target, entry *sei.Response, resumed *resumedLogin, run *modRun, r *probe.Result) string {
	var (
		lr   *sei.LoginResult
		scan sei.VersionScan
	)
	since := time.Now()
	if resumed != nil {
		// Logged in, with the session the probe's own earlier login opened.
		lr, since, scan = resumed.LoginResult, resumed.since, resumed.scan
		r.SetValue(ValueLoginSuccess, 1)
	} else {
		var err error
		lr, err = sei.LoginFrom(ctx, s, entry, t.Credentials)
		r.SetValue(ValueLoginSuccess, b2f(err == nil))
		if err != nil {
			return "login: " + loginReason(ctx, err)
		}
	}
	if p.opts.Sessions != nil {
		r.SetValue(ValueSessionResumed, b2f(resumed != nil))
	}
	logout := lr.LogoutURL
	defer func() {
		// The session is kept only when the run went through under its context: one cut short
		// may have left SEI's answer unread.
		if p.opts.Sessions != nil && ctx.Err() == nil {
			if kl, ok := lr.Keep(s); ok {
				ks := keptSession{KeptLogin: kl, client: p.c, url: t.URL, user: t.Credentials.Username, since: since, lastUsed: time.Now()}
				if old, ok := p.opts.Sessions.put(t.Name, ks); ok {
					old.logout(ctx)
				}
				return
			}
		}
		_, _ = sei.LogoutAt(ctx, s, logout)
	}()
	page := lr.LandingPage() // answered from its element index: no DOM is built
	if resumed == nil {
		scan = sei.ScanVersions(sei.DOMText(lr.Landing))
	}
	p.opts.LoggedIn.Record(t.Name, probe.Modules, scan, time.Now())
	if v := scan.TitleVersion; v != "" && run.sei == "" {
		run.sei = v
	}
	run.menuSeen = true
	for _, a := range page.Actions() {
		if k, ok := p.cat.KeyForAction(a); ok {
			run.get(k)
		}
	}
	for _, d := range page.ModuleDirs() {
		if k, ok := p.cat.KeyForDir(d); ok {
			run.get(k)
		}
	}
	menu := p.menuLinks(page)
	listURL, hasList := page.Link(`a[href*="acao=modulo_listar"]`)
	// From here on only strings of their own are used, not the login and landing pages, which the
	// collector may free while the menu pages of a slow instance take seconds.
	p.checkMenuPages(ctx, s, menu, run)
	if !hasList {
		return ""
	}
	lresp, err := s.Get(ctx, listURL)
	if err != nil || lresp.Status != 200 {
		return "module list: " + surfaceProblem(ctx, err, lresp)
	}
	lp, err := sei.ParseResponse(lresp)
	if err != nil {
		return "module list: " + err.Error()
	}
	rows, ok := lp.ModuleTable()
	if !ok {
		return "module list: no Nome/Versão table on " + lresp.SafeURL()
	}
	run.listSeen = true
	for _, row := range rows {
		k, _ := p.cat.Key(row.Name)
		o := run.get(k)
		if sei.IsVersion(row.Version) {
			o.version = row.Version
		}
	}
	return ""
}

// menuLinks is, for each module the menu shows, the first page its menu links to, in menu order.
func (p *ModulesProber) menuLinks(page *sei.Page) []menuLink {
	var out []menuLink
	seen := map[string]bool{}
	isModule := func(action string) bool { _, ok := p.cat.KeyForAction(action); return ok }
	for _, href := range page.ActionLinks(`a[href*="acao="]`, "href", isModule) {
		k, ok := p.cat.KeyForAction(sei.ActionOf(href))
		if !ok || seen[k] {
			continue
		}
		if abs, err := page.Resolve(href); err == nil {
			seen[k] = true
			out = append(out, menuLink{key: k, url: abs})
		}
	}
	return out
}

type menuLink struct{ key, url string }

// checkMenuPages opens, for each module seen in the menu and not yet checked through a surface of
// its own, the first page its menu links to (a listing, read-only): a module whose code fails
// answers 500 or an Infra exception page there.
func (p *ModulesProber) checkMenuPages(ctx context.Context, s *sei.Session, menu []menuLink, run *modRun) {
	for _, ml := range menu {
		o := run.get(ml.key)
		if o.up != nil {
			continue
		}
		acao := sei.ActionOf(ml.url)
		resp, err := s.Get(ctx, ml.url)
		if err != nil {
			setFalse(&o.up)
			o.details = append(o.details, "menu page "+acao+": "+reason(ctx, err))
			continue
		}
		mp, perr := sei.ParseResponse(resp)
		switch {
		case resp.Status != 200:
			setFalse(&o.up)
			o.details = append(o.details, fmt.Sprintf("menu page %s: HTTP %d", acao, resp.Status))
		case perr != nil || mp.Has("#divInfraExcecao, .infraExcecao"):
			setFalse(&o.up)
			msg := "error page"
			if perr == nil {
				// Only an error page gets a DOM, for what SEI told the user.
				if m := mp.Messages(); len(m) > 0 {
					msg = m[0]
				}
			}
			o.details = append(o.details, "menu page "+acao+": "+msg)
		default:
			o.up = probe.BoolPtr(true)
		}
	}
}

// checkWSDL asks controlador_ws.php for each module's SOAP service: a WSDL means the module is
// installed and serving, "Serviço [x] inválido." means it is not registered, an error page means it
// fails. "Not registered" only condemns a module that another surface shows installed, which is
// known after the login: those verdicts wait in run.wsdlPending.
func (p *ModulesProber) checkWSDL(ctx context.Context, s *sei.Session, t probe.Target, run *modRun) {
	for _, spec := range p.cat.Modules() {
		for _, svc := range spec.WSDLServices {
			run.wsdlChecked = true
			u := sei.JoinURL(t.URL, sei.WSDLPath+"?servico="+svc)
			wr, err := s.Get(ctx, u)
			if err != nil {
				run.wsdlPending = append(run.wsdlPending, [2]string{spec.Key, "WSDL " + svc + ": " + reason(ctx, err)})
				continue
			}
			switch st := sei.ClassifyWSDL(wr.Raw, wr.ContentType()); {
			case st == sei.WSDLOK && wr.Status == 200:
				o := run.get(spec.Key)
				if o.up == nil {
					o.up = probe.BoolPtr(true)
				}
			case st == sei.WSDLInvalid:
				run.wsdlPending = append(run.wsdlPending, [2]string{spec.Key, "WSDL service " + svc + " not registered"})
			case wr.Status >= 500:
				// Only a registered service reaches the module's code: it is installed and failing.
				o := run.get(spec.Key)
				setFalse(&o.up)
				o.details = append(o.details, fmt.Sprintf("WSDL %s: HTTP %d", svc, wr.Status))
			default:
				run.wsdlPending = append(run.wsdlPending, [2]string{spec.Key, fmt.Sprintf("WSDL %s: HTTP %d, no WSDL", svc, wr.Status)})
			}
		}
	}
}

// applyWSDLPending marks down the modules other surfaces show installed whose WSDL service is
// missing or failing.
func applyWSDLPending(run *modRun) {
	for _, pd := range run.wsdlPending {
		o, known := run.mods[pd[0]]
		if !known {
			continue
		}
		setFalse(&o.up)
		o.details = append(o.details, pd[1])
	}
}

// surfaceChecked says whether a surface that would show the module was looked at.
func (p *ModulesProber) surfaceChecked(key string, run *modRun) bool {
	if run.listSeen {
		return true
	}
	spec, ok := p.cat.Spec(key)
	if !ok {
		return false
	}
	return (spec.REST && run.wsseiChecked) || (len(spec.WSDLServices) > 0 && run.wsdlChecked) ||
		(len(spec.MenuPrefixes) > 0 && run.menuSeen)
}

// assemble builds Result.Modules and Drift and returns the problems that fail the probe.
func (p *ModulesProber) assemble(t probe.Target, run *modRun, r *probe.Result) []string {
	var want, latest map[string]string
	if p.opts.Desired != nil {
		if d, ok := p.opts.Desired.Desired(t.Name); ok {
			want = d.Modules
		}
		latest = p.opts.Desired.Latest().Modules
	}
	var problems []string
	keys := make([]string, 0, len(run.mods))
	for k := range run.mods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o := run.mods[k]
		m := probe.Module{Name: k, Version: o.version, Up: o.up, Compatible: o.compatible, Desired: want[k]}
		if m.Compatible == nil && run.sei != "" && o.version != "" {
			if ok, known := p.cat.Compatible(k, o.version, run.sei); known {
				m.Compatible = probe.BoolPtr(ok)
				if !ok {
					o.details = append(o.details, fmt.Sprintf("%s %s does not support SEI %s (supports %s)", k, o.version, run.sei, strings.Join(p.cat.SupportedSEI(k, o.version), ", ")))
				}
			}
		}
		m.Detail = strings.Join(o.details, "; ")
		if m.Up != nil && !*m.Up {
			problems = append(problems, k+" down: "+m.Detail)
		} else if m.Compatible != nil && !*m.Compatible {
			problems = append(problems, k+" incompatible: "+m.Detail)
		}
		if w := want[k]; w != "" {
			r.Drift = append(r.Drift, probe.Drift{Component: k, Observed: o.version, Desired: w, Against: "desired", Level: desired.Classify(o.version, w)})
		}
		if l := latest[k]; l != "" {
			r.Drift = append(r.Drift, probe.Drift{Component: k, Observed: o.version, Desired: l, Against: "latest", Level: desired.Classify(o.version, l)})
		}
		r.Modules = append(r.Modules, m)
	}
	missing := make([]string, 0)
	for k := range want {
		if _, ok := run.mods[k]; !ok {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		m := probe.Module{Name: k, Desired: want[k], Detail: ModuleUnverifiable}
		if p.surfaceChecked(k, run) {
			m.Detail = ModuleMissing
			problems = append(problems, k+" missing (desired "+want[k]+")")
		}
		r.Modules = append(r.Modules, m)
		r.Drift = append(r.Drift, probe.Drift{Component: k, Desired: want[k], Against: "desired", Level: desired.LevelUnknown})
	}
	return problems
}
