package collectors

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
)

//go:embed synthetic_default.yaml
var defaultScenarioYAML []byte

// Scenario is a scripted user journey, declarable in YAML. Steps run in order on one fresh session
// (cookies carried between them); each is timed and asserted, and the first failing step stops the
// journey except for steps marked always (logout).
type Scenario struct {
	Name  string `yaml:"name"`
	Steps []Step `yaml:"steps"`
}

// Step is one request of a scenario and what its answer must look like.
type Step struct {
	Name string `yaml:"name"`
	// If is a template; the step is skipped when it renders empty ("{{.Search}}": search only when a
	// protocol number is configured).
	If string `yaml:"if,omitempty"`
	// Always runs the step even after an earlier failure, as long as the page it needs was reached.
	Always  bool               `yaml:"always,omitempty"`
	Request StepRequest        `yaml:"request"`
	Extract map[string]Extract `yaml:"extract,omitempty"`
	Assert  Assert             `yaml:"assert,omitempty"`
}

// StepRequest says what to send. Exactly one of Path, Link and Form is set.
type StepRequest struct {
	// Method overrides the default (GET for path and link; the form's own method for form; POST for
	// a path with fields).
	Method string `yaml:"method,omitempty"`
	// Path is relative to the instance URL (templated).
	Path string `yaml:"path,omitempty"`
	// Link is a CSS selector on the source page: follow the first match's href (or the URL of its
	// onclick navigation).
	Link string `yaml:"link,omitempty"`
	// Form is a CSS selector of a form on the source page: submit it with every control's value
	// as served (hidden inputs included), Fields applied over them, and its first submit button.
	Form string `yaml:"form,omitempty"`
	// From names the earlier step whose page links and forms come from; the previous step's by
	// default.
	From string `yaml:"from,omitempty"`
	// Fields are templated values to send; for a select, a value may also be an option's label.
	Fields map[string]string `yaml:"fields,omitempty"`
	// Submit names the submit button to send with a form; "-" sends none.
	Submit string `yaml:"submit,omitempty"`
	// NoFollow keeps a redirect as the step's answer.
	NoFollow bool `yaml:"no_follow,omitempty"`
}

// Extract takes a value from the step's page into a template variable.
type Extract struct {
	Selector string `yaml:"selector"`
	// Attr is the attribute to read; empty means the element's text. href and action are
	// returned as absolute URLs.
	Attr string `yaml:"attr,omitempty"`
}

// Assert is what the step's answer must satisfy. Every check is optional; with none, the status
// must be 2xx (3xx with no_follow).
type Assert struct {
	Status int `yaml:"status,omitempty"`
	// Selector lists CSS selectors that must match; Absent ones that must not.
	Selector StringList `yaml:"selector,omitempty"`
	Absent   StringList `yaml:"absent,omitempty"`
	// Text lists strings the page's visible text must contain.
	Text StringList `yaml:"text,omitempty"`
	// Title must be contained in the page's <title>.
	Title string `yaml:"title,omitempty"`
	// URL must be contained in the final URL (after redirects).
	URL string `yaml:"url,omitempty"`
}

// StringList accepts a YAML scalar or a sequence.
type StringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// Built-in template variables.
var builtinVars = map[string]bool{"Username": true, "Password": true, "Orgao": true, "Search": true}

// ParseScenario decodes a scenario strictly (unknown keys are errors) and validates it.
func ParseScenario(b []byte) (*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadScenario reads a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	s, err := ParseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// DefaultScenario is the embedded journey: entry → SIP login → Controle de Processos → quick search →
// logout.
func DefaultScenario() *Scenario {
	s, err := ParseScenario(defaultScenarioYAML)
	if err != nil {
		panic(fmt.Sprintf("collectors: embedded synthetic_default.yaml: %v", err)) // build-time bug, caught by tests
	}
	return s
}

// compiledStep holds a step's parsed templates.
type compiledStep struct {
	Step
	// needPage says a later step takes a link or form from this step's page; keepPage that a
	// step after the next names it in request.from, so the run keeps it past the next step.
	needPage, keepPage bool
	ifTpl              *template.Template
	pathTpl            *template.Template
	fields             map[string]*template.Template
}

// Validate checks the scenario and names the step and field at fault.
func (s *Scenario) Validate() error {
	_, err := s.compile()
	return err
}

func (s *Scenario) compile() ([]compiledStep, error) {
	if len(s.Steps) == 0 {
		return nil, errors.New("scenario: no steps")
	}
	known := map[string]bool{}
	for k := range builtinVars {
		known[k] = true
	}
	seen := map[string]bool{}
	out := make([]compiledStep, 0, len(s.Steps))
	for i, st := range s.Steps {
		where := fmt.Sprintf("scenario %q: step %d", s.Name, i+1)
		if st.Name == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		where = fmt.Sprintf("scenario %q: step %d (%s)", s.Name, i+1, st.Name)
		if seen[st.Name] {
			return nil, fmt.Errorf("%s: name: duplicate step name", where)
		}
		cs := compiledStep{Step: st, fields: map[string]*template.Template{}}
		rq := st.Request
		n := 0
		for _, set := range []bool{rq.Path != "", rq.Link != "", rq.Form != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s: request: exactly one of path, link and form is required", where)
		}
		if rq.From != "" && !seen[rq.From] {
			return nil, fmt.Errorf("%s: request.from: no earlier step named %q", where, rq.From)
		}
		if (rq.Link != "" || rq.Form != "") && i == 0 && rq.From == "" {
			return nil, fmt.Errorf("%s: request: the first step has no page to take a link or form from; use path", where)
		}
		if rq.Method != "" && rq.Method != http.MethodGet && rq.Method != http.MethodPost {
			return nil, fmt.Errorf("%s: request.method: %q is not GET or POST", where, rq.Method)
		}
		if rq.Link != "" && len(rq.Fields) > 0 {
			return nil, fmt.Errorf("%s: request.fields: a link carries no fields; use form or path", where)
		}
		for _, sel := range []struct{ field, sel string }{{"request.link", rq.Link}, {"request.form", rq.Form}} {
			if sel.sel != "" {
				if _, err := sei.Compile(sel.sel); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", where, sel.field, err)
				}
			}
		}
		var err error
		if cs.ifTpl, err = compileTemplate(where, "if", st.If, known); err != nil {
			return nil, err
		}
		if cs.pathTpl, err = compileTemplate(where, "request.path", rq.Path, known); err != nil {
			return nil, err
		}
		for k, v := range rq.Fields {
			if k == "" {
				return nil, fmt.Errorf("%s: request.fields: empty field name", where)
			}
			if cs.fields[k], err = compileTemplate(where, "request.fields."+k, v, known); err != nil {
				return nil, err
			}
		}
		for i, list := range []StringList{st.Assert.Selector, st.Assert.Absent} {
			field := []string{"assert.selector", "assert.absent"}[i]
			for j, sel := range list {
				if _, err := sei.Compile(sel); err != nil {
					return nil, fmt.Errorf("%s: %s[%d]: %w", where, field, j, err)
				}
			}
		}
		if st.Assert.Status != 0 && (st.Assert.Status < 100 || st.Assert.Status > 599) {
			return nil, fmt.Errorf("%s: assert.status: %d is not an HTTP status", where, st.Assert.Status)
		}
		for name, ex := range st.Extract {
			if name == "" || builtinVars[name] {
				return nil, fmt.Errorf("%s: extract.%s: the variable name is empty or built in", where, name)
			}
			if ex.Selector == "" {
				return nil, fmt.Errorf("%s: extract.%s.selector: required", where, name)
			}
			if _, err := sei.Compile(ex.Selector); err != nil {
				return nil, fmt.Errorf("%s: extract.%s.selector: %w", where, name, err)
			}
		}
		// Variables extracted here are usable from the next step on.
		for name := range st.Extract {
			known[name] = true
		}
		seen[st.Name] = true
		out = append(out, cs)
	}
	for i, st := range out {
		if st.Request.Link == "" && st.Request.Form == "" {
			continue
		}
		src := i - 1
		if st.Request.From != "" {
			for j := range out[:i] {
				if out[j].Name == st.Request.From {
					src = j
				}
			}
			out[src].keepPage = true
		}
		out[src].needPage = true
	}
	return out, nil
}

func compileTemplate(where, field, text string, known map[string]bool) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	tpl, err := template.New(field).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", where, field, err)
	}
	var bad string
	walkFields(tpl.Tree.Root, func(name string) {
		if !known[name] && bad == "" {
			bad = name
		}
	})
	if bad != "" {
		return nil, fmt.Errorf("%s: %s: {{.%s}} is neither built in (Username, Password, Orgao, Search) nor extracted by an earlier step", where, field, bad)
	}
	return tpl, nil
}

func walkFields(n parse.Node, f func(string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, f)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, f)
		}
	case *parse.FieldNode:
		if len(n.Ident) > 0 {
			f(n.Ident[0])
		}
	case *parse.ChainNode:
		walkFields(n.Node, f)
	case *parse.IfNode:
		walkFields(n.Pipe, f)
		walkFields(n.List, f)
		walkFields(n.ElseList, f)
	case *parse.RangeNode:
		walkFields(n.Pipe, f)
		walkFields(n.List, f)
		walkFields(n.ElseList, f)
	case *parse.WithNode:
		walkFields(n.Pipe, f)
		walkFields(n.List, f)
		walkFields(n.ElseList, f)
	}
}

func render(t *template.Template, vars map[string]string) (string, error) {
	if t == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.Execute(&b, vars); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SyntheticOptions configure the synthetic prober.
type SyntheticOptions struct {
	Client sei.ClientOptions `yaml:",inline"`
	// Scenario is the journey; nil means DefaultScenario.
	Scenario *Scenario `yaml:"scenario,omitempty"`
	// Search is the protocol number the quick search looks up ({{.Search}}); empty skips the
	// default scenario's search step.
	Search string `yaml:"search,omitempty"`
	// LoggedIn, when set, learns the first logged-in SEI page of each run for the version probe.
	LoggedIn *LoggedInPages `yaml:"-"`
}

// SyntheticProber runs a scripted user journey with the target's monitoring account. Every run
// opens a fresh session and never retries a login (SIP shows a captcha after three failures in a
// session); the failing step's evidence is kept.
type SyntheticProber struct {
	c     *sei.Client
	opts  SyntheticOptions
	steps []compiledStep
}

// NewSyntheticProber validates the scenario and builds the prober.
func NewSyntheticProber(o SyntheticOptions) (*SyntheticProber, error) {
	c, err := sei.NewClient(o.Client)
	if err != nil {
		return nil, fmt.Errorf("synthetic prober: %w", err)
	}
	sc := o.Scenario
	if sc == nil {
		sc = DefaultScenario()
	}
	steps, err := sc.compile()
	if err != nil {
		return nil, fmt.Errorf("synthetic prober: %w", err)
	}
	return &SyntheticProber{c: c, opts: o, steps: steps}, nil
}

// Name implements Prober.
func (p *SyntheticProber) Name() string { return probe.Synthetic }

type stepPage struct {
	resp   *sei.Response
	page   *sei.Page
	parsed bool
	ok     bool
}

// doc parses the step's page on first use: most steps of a journey need their DOM, some (a search
// checked by its URL) do not, and parsing is most of a run's CPU.
func (sp *stepPage) doc() *sei.Page {
	if sp == nil || sp.resp == nil {
		return nil
	}
	if !sp.parsed {
		sp.parsed = true
		if p, err := sei.ParseResponse(sp.resp); err == nil {
			sp.page = p
		}
	}
	return sp.page
}

// Probe implements Prober.
func (p *SyntheticProber) Probe(ctx context.Context, t probe.Target) (r probe.Result) {
	r = probe.Result{Target: t, Probe: probe.Synthetic, Start: time.Now()}
	defer finish(&r)
	if t.Credentials.Empty() {
		r.Fail("no monitoring credentials configured for this instance")
		return r
	}
	s := p.c.NewSession()
	defer s.CloseKeep(&r)
	secrets := []string{t.Credentials.Password.Reveal(), t.Credentials.Token.Reveal()}
	vars := map[string]string{
		"Username": t.Credentials.Username, "Password": t.Credentials.Password.Reveal(),
		"Orgao": t.Credentials.Orgao, "Search": p.opts.Search,
	}
	// Only pages a later step names in request.from (keepPage) are kept past the next step: a run
	// on a slow instance holds its pages until it ends, and many such runs are in flight.
	pages := map[string]*stepPage{}
	var prev *stepPage
	failed := false
	// A landing page recorded recently (by the modules probe, which reads one every run, or by
	// an earlier run of this probe) serves the version probe as well as this run's would: the
	// scan of this run's pages for it is spared.
	_, recorded := p.opts.LoggedIn.Seen(t.Name, loggedInFresh, time.Now())
	var main sei.Timing
	for _, st := range p.steps {
		if failed && !st.Always {
			continue
		}
		if st.ifTpl != nil {
			v, err := render(st.ifTpl, vars)
			if err != nil || strings.TrimSpace(v) == "" {
				continue
			}
		}
		src := prev
		if st.Request.From != "" {
			src = pages[st.Request.From]
		}
		if failed && (st.Request.Link != "" || st.Request.Form != "") && (src == nil || !src.ok) {
			continue // nothing to clean up: the page the step needs was never reached
		}
		// runStep uses src only to build its request: with prev cleared, a page no later step
		// names can be freed while this step waits for its answer.
		prev = nil
		start := time.Now()
		sp, err := p.runStep(ctx, s, t, st, src, vars)
		step := probe.Step{Name: st.Name, Duration: time.Since(start), OK: err == nil}
		if sp.resp != nil {
			step.Status = sp.resp.Status
			main.Add(sp.resp.Timing)
			if !sp.resp.TLSNotAfter.IsZero() && r.Values[ValueTLSCertExpiry] == 0 {
				r.SetValue(ValueTLSCertExpiry, float64(sp.resp.TLSNotAfter.Unix()))
			}
		}
		// SIP only shows its captcha on a failed login.
		captcha := err != nil && sp.doc() != nil && sp.doc().Has("input[name=txtCaptcha], input[name=txtInfraCaptcha], input[name=txtCaptchaConfirmacao]")
		if captcha {
			r.SetValue(ValueSyntheticCaptcha, 1)
		}
		if err != nil {
			msg := err.Error()
			var fe fetchError
			if errors.As(err, &fe) {
				msg = reason(ctx, fe.err)
			}
			if captcha {
				msg += " (SIP asks for a captcha: the account failed too many logins)"
			}
			if msgs := pageMessages(sp.doc()); msgs != "" {
				// What SEI told the user comes first; the failed check explains it.
				msg = msgs + " (" + msg + ")"
			}
			step.Error = scrub(msg, secrets)
			if !failed {
				failed = true
				r.Fail(fmt.Sprintf("step %s: %s", st.Name, step.Error))
				reqURL := ""
				if sp.resp != nil && sp.resp.URL != nil {
					reqURL = sp.resp.URL.String()
				}
				r.Evidence = evidenceOf(st.Name, reqURL, sp.resp, secrets...)
				if sp.resp != nil && sei.ScanVersions(sp.resp.Raw).Maintenance {
					r.State = probe.StateMaintenance
					r.SetValue(ValueMaintenance, 1)
				} else {
					r.State = probe.StateDown
				}
			}
		}
		r.Steps = append(r.Steps, step)
		if err == nil && !recorded && p.opts.LoggedIn != nil && seiPage(sp.resp) {
			recorded = p.opts.LoggedIn.Record(t.Name, probe.Synthetic, sei.ScanVersions(sp.resp.Text()), time.Now())
		}
		if st.keepPage {
			pages[st.Name] = sp
		}
		prev = sp
	}
	r.Phases = main.Phases()
	r.SetValue(ValueSyntheticSteps, float64(len(r.Steps)))
	if !failed {
		r.OK = true
		r.State = probe.StateUp
		if _, ok := r.Values[ValueSyntheticCaptcha]; !ok {
			r.SetValue(ValueSyntheticCaptcha, 0)
		}
	}
	return r
}

// seiPage says the response is a page of SEI itself (controlador.php and friends), where a logged-in
// user's pages carry the version; SIP's pages and mod-wssei's JSON do not.
func seiPage(resp *sei.Response) bool {
	return resp != nil && resp.URL != nil && resp.Status == 200 && strings.Contains(resp.URL.Path, "/sei/") &&
		!strings.Contains(resp.URL.Path, "/modulos/") && strings.Contains(resp.ContentType(), "html")
}

// fetchError marks a transport failure, described with reason() rather than as an assertion.
type fetchError struct{ err error }

func (e fetchError) Error() string { return e.err.Error() }
func (e fetchError) Unwrap() error { return e.err }

func pageMessages(p *sei.Page) string {
	if p == nil {
		return ""
	}
	return strings.Join(p.Messages(), "; ")
}

func scrub(s string, secrets []string) string {
	for _, x := range secrets {
		if len(x) >= 3 {
			s = strings.ReplaceAll(s, x, "xxxxx")
		}
	}
	return s
}

// runStep sends one step's request and checks its answer. The returned page is nil when the
// request failed.
func (p *SyntheticProber) runStep(ctx context.Context, s *sei.Session, t probe.Target, st compiledStep, src *stepPage, vars map[string]string) (*stepPage, error) {
	req, err := p.buildRequest(t, st, src, vars)
	if err != nil {
		return &stepPage{}, err
	}
	resp, err := s.Do(ctx, req)
	if err != nil {
		return &stepPage{resp: resp}, fetchError{err}
	}
	sp := &stepPage{resp: resp}
	if err := checkAssert(st.Assert, st.Request.NoFollow, resp, sp.doc); err != nil {
		return sp, err
	}
	if st.needPage {
		if sp.doc() == nil {
			return sp, errors.New("page could not be parsed")
		}
	}
	for name, ex := range st.Extract {
		v, ok := extract(sp.doc(), ex)
		if !ok {
			return sp, fmt.Errorf("extract %s: %q matched nothing", name, ex.Selector)
		}
		vars[name] = v
	}
	sp.ok = true
	return sp, nil
}

func (p *SyntheticProber) buildRequest(t probe.Target, st compiledStep, src *stepPage, vars map[string]string) (sei.Request, error) {
	rq := st.Request
	fields := url.Values{}
	for k, tpl := range st.fields {
		v, err := render(tpl, vars)
		if err != nil {
			return sei.Request{}, fmt.Errorf("field %s: %w", k, err)
		}
		fields.Set(k, v)
	}
	switch {
	case rq.Path != "":
		path, err := render(st.pathTpl, vars)
		if err != nil {
			return sei.Request{}, fmt.Errorf("path: %w", err)
		}
		req := sei.Request{Method: rq.Method, URL: sei.JoinURL(t.URL, path), NoFollow: rq.NoFollow}
		if len(fields) > 0 {
			if req.Method == http.MethodGet {
				req.URL = addQuery(req.URL, fields)
			} else {
				req.Form = fields
			}
		}
		return req, nil
	case src == nil || src.doc() == nil:
		return sei.Request{}, errors.New("no page to take the link or form from (the source step did not reach one)")
	case rq.Link != "":
		u, ok := src.doc().Link(rq.Link)
		if !ok {
			return sei.Request{}, fmt.Errorf("link %q not found on %s", rq.Link, src.resp.SafeURL())
		}
		return sei.Request{Method: rq.Method, URL: u, NoFollow: rq.NoFollow}, nil
	default:
		f, err := src.doc().Form(rq.Form)
		if err != nil {
			return sei.Request{}, fmt.Errorf("form %q not found on %s", rq.Form, src.resp.SafeURL())
		}
		vals := f.Values()
		for k, v := range fields {
			val := v[0]
			if opts, isSelect := f.Selects[k]; isSelect {
				val = optionValue(opts, val)
			}
			vals.Set(k, val)
		}
		if rq.Submit != "-" {
			if b, ok := f.Submit(rq.Submit); ok {
				vals.Set(b.Name, b.Value)
			} else if rq.Submit != "" {
				return sei.Request{}, fmt.Errorf("submit button %q not in form %q", rq.Submit, rq.Form)
			}
		}
		method := f.Method
		if rq.Method != "" {
			method = rq.Method
		}
		if method == http.MethodGet {
			return sei.Request{Method: method, URL: addQuery(f.Action, vals), NoFollow: rq.NoFollow}, nil
		}
		return sei.Request{Method: method, URL: f.Action, Form: vals, NoFollow: rq.NoFollow}, nil
	}
}

// optionValue lets a select field be given by an option's label (the órgão's sigla) as well as by
// its value (the numeric id SEI posts).
func optionValue(opts []sei.Option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return v
		}
	}
	for _, o := range opts {
		if strings.EqualFold(o.Label, v) {
			return o.Value
		}
	}
	return v
}

func addQuery(u string, v url.Values) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for k, vs := range v {
		q[k] = vs
	}
	p.RawQuery = q.Encode()
	return p.String()
}

func checkAssert(a Assert, noFollow bool, resp *sei.Response, doc func() *sei.Page) error {
	switch {
	case a.Status != 0 && resp.Status != a.Status:
		return fmt.Errorf("HTTP %d at %s, want %d", resp.Status, resp.SafeURL(), a.Status)
	case a.Status == 0 && !noFollow && (resp.Status < 200 || resp.Status > 299):
		return fmt.Errorf("HTTP %d at %s", resp.Status, resp.SafeURL())
	case a.Status == 0 && noFollow && (resp.Status < 200 || resp.Status > 399):
		return fmt.Errorf("HTTP %d at %s", resp.Status, resp.SafeURL())
	}
	if a.URL != "" && !strings.Contains(resp.URL.String(), a.URL) {
		return fmt.Errorf("ended at %s, which does not contain %q", resp.SafeURL(), a.URL)
	}
	if a.Title == "" && len(a.Selector) == 0 && len(a.Absent) == 0 && len(a.Text) == 0 {
		return nil
	}
	page := doc()
	if page == nil {
		return fmt.Errorf("the answer at %s is not a parseable page", resp.SafeURL())
	}
	if a.Title != "" && !strings.Contains(page.Title(), a.Title) {
		return fmt.Errorf("title %q does not contain %q", sei.Truncate(page.Title(), 120), a.Title)
	}
	for _, sel := range a.Selector {
		if !page.Has(sel) {
			return fmt.Errorf("%q not on the page (%s)", sel, resp.SafeURL())
		}
	}
	for _, sel := range a.Absent {
		if page.Has(sel) {
			return fmt.Errorf("%q still on the page (%s)", sel, resp.SafeURL())
		}
	}
	if len(a.Text) > 0 {
		text := page.VisibleText(0)
		for _, want := range a.Text {
			if !strings.Contains(text, want) {
				return fmt.Errorf("text %q not on the page (%s)", want, resp.SafeURL())
			}
		}
	}
	return nil
}

func extract(p *sei.Page, ex Extract) (string, bool) {
	switch ex.Attr {
	case "":
		if !p.Has(ex.Selector) {
			return "", false
		}
		return p.Text(ex.Selector), true
	case "href", "action":
		return p.Link(ex.Selector)
	default:
		return p.Attr(ex.Selector, ex.Attr)
	}
}
