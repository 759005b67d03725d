package collectors

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
)

// DesiredStateSource gives the versions an instance should run (from Git) and the fleet-wide
// latest. *desired.Store implements it.
type DesiredStateSource interface {
	Desired(instance string) (desired.Versions, bool)
	Latest() desired.Versions
}

// Sources of an observed version (ComponentVersion.Source, the source label of
// sei_version_info), in the order the version probe prefers them.
const (
	SourceWSSEIAPI         = "wssei_api"         // mod-wssei GET /versao with a token: data.sei
	SourcePageTitle        = "page_title"        // logged-in page: title="… - Versão X"
	SourceAssetSuffix      = "asset_suffix"      // logged-in page: ?SEI-INFRA asset suffixes
	SourcePageLogo         = "page_logo"         // logged-in page: span.infraTituloLogoSistema
	SourceWSSEIMessage     = "wssei_message"     // "Módulo incompatível com a versão X do SEI."
	SourceExternalMD5      = "external_md5"      // external page asset md5("SEI-INFRA") reversed
	SourceSIPLoginAssets   = "sip_login_assets"  // SIP login page ?INFRA asset suffixes
	SourceInfraFingerprint = "infra_fingerprint" // Infra version mapped through the versions table
)

// Confidence of an observed version.
const (
	ConfidenceExact = "exact" // the surface states the version
	ConfidenceLine  = "line"  // inferred: the release shipping this Infra (patch may differ)
	ConfidenceLow   = "low"   // guessed: only the MAJOR.MINOR line
)

var sourceRank = map[string]int{
	SourceWSSEIAPI: 0, SourcePageTitle: 1, SourceAssetSuffix: 2, SourcePageLogo: 3, SourceWSSEIMessage: 4,
	SourceExternalMD5: 5, SourceSIPLoginAssets: 6, SourceInfraFingerprint: 7,
}

var componentRank = map[string]int{"sei": 0, "sip": 1, "infra": 2}

// VersionOptions configure the version prober.
type VersionOptions struct {
	Client sei.ClientOptions `yaml:",inline"`
	// Desired gives desired and latest versions; nil means no drift is computed.
	Desired DesiredStateSource `yaml:"-"`
	// VersionsFile is merged over the embedded SEI/Infra/SIP release table; Table, when set, is
	// used as is (tests).
	VersionsFile string            `yaml:"versions_file,omitempty"`
	Table        *sei.VersionTable `yaml:"-"`
	// NoLogin never logs in, even when the target has credentials (the logged-in page is the
	// richest source, but costs a SIP session per run).
	NoLogin bool `yaml:"no_login,omitempty"`
	// SkipWSSEI skips mod-wssei; SkipExternal skips the external users' page.
	SkipWSSEI    bool `yaml:"skip_wssei,omitempty"`
	SkipExternal bool `yaml:"skip_external,omitempty"`
	// WSSEIAuthenticate obtains a mod-wssei token with the target's credentials when none is
	// configured. mod-wssei sleeps about 3 s on every /autenticar, so it is off by default.
	WSSEIAuthenticate bool `yaml:"wssei_authenticate,omitempty"`
	// LoggedIn holds the logged-in pages the modules and synthetic probes saw; a page at most
	// LoggedInMaxAge old (0: DefaultLoggedInMaxAge, negative: never) is read instead of logging in.
	LoggedIn       *LoggedInPages `yaml:"-"`
	LoggedInMaxAge time.Duration  `yaml:"-"`
	// Shared, when set, passes mod-wssei's /versao answer to the modules probe, and gives the entry
	// the health probe found healthy a moment ago to runs that need no login page of their own.
	Shared *SharedAnswers `yaml:"-"`
}

// VersionProber reads the SEI, SIP and Infra versions an instance runs from every surface that
// tells them, each reported with its source and confidence, and the drift against desired state
// and the fleet's latest. It also observes whether the instance runs in production mode.
type VersionProber struct {
	c     *sei.Client
	opts  VersionOptions
	table *sei.VersionTable
}

// NewVersionProber builds the version prober.
func NewVersionProber(o VersionOptions) (*VersionProber, error) {
	c, err := sei.NewClient(o.Client)
	if err != nil {
		return nil, fmt.Errorf("version prober: %w", err)
	}
	t := o.Table
	if t == nil && o.VersionsFile != "" {
		if t, err = sei.LoadVersionTable(o.VersionsFile); err != nil {
			return nil, fmt.Errorf("version prober: %w", err)
		}
	}
	if t == nil {
		t = sei.DefaultVersionTable()
	}
	return &VersionProber{c: c, opts: o, table: t}, nil
}

// Name implements Prober.
func (p *VersionProber) Name() string { return probe.Version }

func (p *VersionProber) loggedInMaxAge() time.Duration {
	if p.opts.LoggedInMaxAge == 0 {
		return DefaultLoggedInMaxAge
	}
	return p.opts.LoggedInMaxAge
}

type observations struct {
	list []probe.ComponentVersion
	seen map[string]bool
}

func (o *observations) add(component, version, source, confidence string) {
	if version == "" {
		return
	}
	k := component + "\x00" + version + "\x00" + source
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	if o.seen[k] {
		return
	}
	o.seen[k] = true
	o.list = append(o.list, probe.ComponentVersion{Component: component, Version: version, Source: source, Confidence: confidence})
}

func (o *observations) sorted() []probe.ComponentVersion {
	sort.SliceStable(o.list, func(i, j int) bool {
		a, b := o.list[i], o.list[j]
		if ca, cb := componentRank[a.Component], componentRank[b.Component]; ca != cb {
			return ca < cb
		}
		return sourceRank[a.Source] < sourceRank[b.Source]
	})
	return o.list
}

// best is the preferred observation of a component.
func (o *observations) best(component string) (probe.ComponentVersion, bool) {
	for _, v := range o.sorted() {
		if v.Component == component {
			return v, true
		}
	}
	return probe.ComponentVersion{}, false
}

// Probe implements Prober.
func (p *VersionProber) Probe(ctx context.Context, t probe.Target) (r probe.Result) {
	r = probe.Result{Target: t, Probe: probe.Version, Start: time.Now()}
	defer finish(&r)
	s := p.c.NewSession()
	defer s.CloseKeep(&r)
	var obs observations
	prod := prodVotes{}

	// A run with credentials reads the logged-in page another probe saw, or logs in itself from
	// its own entry.
	wantsLogin := !p.opts.NoLogin && !t.Credentials.Empty()
	var seen LoggedInPage
	var haveSeen bool
	if wantsLogin {
		seen, haveSeen = p.opts.LoggedIn.Seen(t.Name, p.loggedInMaxAge(), time.Now())
	}
	entry, shared, scan, ok := p.openEntry(ctx, s, t, &r, wantsLogin && !haveSeen)
	if !ok {
		return r
	}
	obs.add("infra", scan.AssetInfra, SourceSIPLoginAssets, ConfidenceExact)
	prod.add(scan)

	var notes []string
	if !p.opts.SkipWSSEI {
		a, _ := p.opts.Shared.askVersao(ctx, s, t, p.opts.WSSEIAuthenticate, wsseiV1Possible(scan, p.table))
		switch a.State {
		case sei.WSSEIOK:
			obs.add("sei", a.SEI, SourceWSSEIAPI, ConfidenceExact)
		case sei.WSSEIIncompatible:
			obs.add("sei", a.IncompatibleWith, SourceWSSEIMessage, ConfidenceExact)
		}
	}

	if wantsLogin {
		addLanding := func(ls sei.VersionScan) {
			obs.add("sei", ls.TitleVersion, SourcePageTitle, ConfidenceExact)
			obs.add("sei", ls.AssetSEI, SourceAssetSuffix, ConfidenceExact)
			obs.add("sei", ls.LogoVersion, SourcePageLogo, ConfidenceExact)
			obs.add("infra", ls.AssetInfra, SourceAssetSuffix, ConfidenceExact)
			prod.add(ls)
		}
		if haveSeen {
			addLanding(seen.Scan())
			r.SetValue(ValueLoggedInPageAge, time.Since(seen.At).Seconds())
		} else if lr, err := sei.LoginFrom(ctx, s, entry, t.Credentials); err != nil {
			r.SetValue(ValueLoginSuccess, 0)
			notes = append(notes, "login: "+loginReason(ctx, err))
		} else {
			r.SetValue(ValueLoginSuccess, 1)
			ls := sei.ScanVersions(lr.Landing.Text())
			addLanding(ls)
			// Leave no session behind; a failed logout changes no observation.
			_, _ = sei.LogoutAt(ctx, s, lr.LogoutURL)
		}
	}

	if !p.opts.SkipExternal {
		er, err := s.Get(ctx, sei.JoinURL(t.URL, externalLoginPath))
		if err == nil && er.Status == 200 {
			es := sei.ScanVersions(er.Raw)
			if rel, ok := p.table.ByHash(es.AssetHash); ok {
				obs.add("sei", rel.SEI, SourceExternalMD5, ConfidenceExact)
				obs.add("infra", rel.Infra, SourceExternalMD5, ConfidenceExact)
			}
			prod.add(es)
		}
	}

	// The Infra version maps to the SEI (and SIP) release that ships it.
	if inf, ok := obs.best("infra"); ok {
		if rel, ok := p.table.ByInfra(inf.Version); ok {
			obs.add("sei", rel.SEI, SourceInfraFingerprint, ConfidenceLine)
			obs.add("sip", rel.SIP, SourceInfraFingerprint, ConfidenceLine)
		} else if line, ok := p.table.LineForInfra(inf.Version); ok {
			obs.add("sei", line, SourceInfraFingerprint, ConfidenceLow)
		}
	}

	r.Versions = obs.sorted()
	if v, ok := prod.mode(); ok {
		r.SetValue(ValueProductionMode, b2f(v))
	}
	conflict := exactConflict(r.Versions, "sei")
	r.SetValue(ValueVersionConflict, b2f(conflict != ""))
	if conflict != "" {
		notes = append(notes, conflict)
	}
	r.Drift = p.drift(t.Name, &obs)

	if _, ok := obs.best("sei"); !ok {
		inf, _ := obs.best("infra")
		r.Fail(strings.Join(append([]string{fmt.Sprintf("no surface told the SEI version (Infra %q is not in the versions table)", inf.Version)}, notes...), "; "))
		r.Evidence = evidenceOf("entry", sei.JoinURL(t.URL, sharedEntryPath), entry)
		if shared != nil {
			r.Evidence.Status = int(shared.status)
		}
		return r
	}
	r.OK = true
	return r
}

// openEntry opens the instance's entry (/sei/, redirected to SIP's login page) and judges it as
// openEntry does, or, when the run will not log in from it, reads the entry the health run of the
// same instance found healthy a moment ago (SharedAnswers): the login page's Infra assets and
// production-mode evidence are the same, and the instance is spared serving it again. The result
// then records that fetch's status, latency split and certificate expiry as its entry's, and
// entry_age_seconds says how old it is.
func (p *VersionProber) openEntry(ctx context.Context, s *sei.Session, t probe.Target, r *probe.Result, login bool) (entry *sei.Response, shared *sharedEntry, scan sei.VersionScan, ok bool) {
	if !login {
		if e, at, found := p.opts.Shared.entry(t.Name, t.URL, p.c.Settings(), time.Now()); found {
			e.record(r)
			r.SetValue(ValueEntryAge, max(time.Since(at), 0).Seconds())
			r.State = probe.StateUp
			return nil, &e, e.scan(), true
		}
	}
	entry, scan, ok = openEntry(ctx, s, t, r)
	return entry, nil, scan, ok
}

// drift compares the best SEI and SIP observations with desired state and the fleet's latest.
func (p *VersionProber) drift(instance string, obs *observations) []probe.Drift {
	if p.opts.Desired == nil {
		return nil
	}
	var out []probe.Drift
	want, hasWant := p.opts.Desired.Desired(instance)
	latest := p.opts.Desired.Latest()
	for _, comp := range []string{"sei", "sip"} {
		o, _ := obs.best(comp)
		if hasWant {
			if d := pick(comp, want); d != "" {
				out = append(out, driftOf(comp, o, d, "desired"))
			}
		}
		if l := pick(comp, latest); l != "" {
			out = append(out, driftOf(comp, o, l, "latest"))
		}
	}
	return out
}

func pick(comp string, v desired.Versions) string {
	if comp == "sei" {
		return v.SEI
	}
	return v.SIP
}

// driftOf classifies, trusting an inferred version only as far as it goes: an Infra fingerprint
// knows the SEI line, so it can tell a major or minor drift but not a patch one.
func driftOf(comp string, o probe.ComponentVersion, want, against string) probe.Drift {
	d := probe.Drift{Component: comp, Observed: o.Version, Desired: want, Against: against}
	switch o.Confidence {
	case ConfidenceExact:
		d.Level = desired.Classify(o.Version, want)
	case ConfidenceLine, ConfidenceLow:
		d.Level = lineDrift(o.Version, want)
	default:
		d.Level = desired.LevelUnknown
	}
	return d
}

func lineDrift(observed, want string) string {
	ov, err1 := desired.Parse(lineAsVersion(observed))
	wv, err2 := desired.Parse(want)
	if err1 != nil || err2 != nil {
		return desired.LevelUnknown
	}
	switch {
	case ov.Major != wv.Major || ov.Minor != wv.Minor:
		// Compare the lines only: x.y.0 against x'.y'.0.
		return desired.ClassifyVersions(desired.Version{Major: ov.Major, Minor: ov.Minor}, desired.Version{Major: wv.Major, Minor: wv.Minor})
	default:
		return desired.LevelUnknown
	}
}

func lineAsVersion(v string) string {
	if strings.Count(v, ".") == 1 {
		return v + ".0"
	}
	return v
}

// exactConflict describes exact sources that disagree on a component's version.
func exactConflict(vs []probe.ComponentVersion, comp string) string {
	var first *probe.ComponentVersion
	var parts []string
	for i := range vs {
		v := vs[i]
		if v.Component != comp || v.Confidence != ConfidenceExact {
			continue
		}
		if first == nil {
			first = &vs[i]
			continue
		}
		if v.Version != first.Version {
			parts = append(parts, fmt.Sprintf("%s says %s", v.Source, v.Version))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s version sources disagree: %s says %s, %s", strings.ToUpper(comp), first.Source, first.Version, strings.Join(parts, ", "))
}

// prodVotes gathers production-mode evidence from every page seen: one random suffix anywhere means
// Producao=false.
type prodVotes struct{ seen, random bool }

func (p *prodVotes) add(s sei.VersionScan) {
	if s.VersionedAssets > 0 {
		p.seen = true
	}
	if s.RandomSuffixes > 0 {
		p.random = true
	}
}

func (p *prodVotes) mode() (prod, ok bool) { return !p.random, p.seen }

// wsseiVersao asks mod-wssei's /versao (v2, then, when v1 says the public v1 of mod-wssei ≤ 0.7.x
// may answer, v1) with the target's token, or one obtained with its credentials when allowed. The
// answer's State is WSSEIAbsent when mod-wssei is not installed.
func wsseiVersao(ctx context.Context, s *sei.Session, t probe.Target, authenticate, v1 bool) (sei.WSSEIAnswer, error) {
	token := t.Credentials.Token.Reveal()
	if token == "" && authenticate && !t.Credentials.Empty() {
		token = wsseiToken(ctx, s, t)
	}
	hdr := http.Header{"Accept": {"application/json"}}
	if token != "" {
		hdr.Set(sei.WSSEITokenHead, token)
	}
	resp, err := s.Do(ctx, sei.Request{URL: sei.JoinURL(t.URL, sei.WSSEIVersaoV2), Header: hdr})
	if err != nil {
		return sei.WSSEIAnswer{State: sei.WSSEIAbsent, Total: -1}, err
	}
	a, perr := sei.ParseWSSEI(resp.Text())
	if perr == nil || !v1 {
		return a, nil
	}
	v1resp, err := s.Do(ctx, sei.Request{URL: sei.JoinURL(t.URL, sei.WSSEIVersaoV1), Header: hdr})
	if err != nil {
		return a, err
	}
	if a1, perr := sei.ParseWSSEI(v1resp.Text()); perr == nil {
		a1.V1 = true
		return a1, nil
	}
	return a, nil
}

// wsseiV1Possible says whether mod-wssei's v1 API may be there to ask. Only mod-wssei ≤ 1.0.4
// serves it, and those releases run on SEI 3 alone (the compatibility matrix in SEI.md), so a page
// that states SEI 4 or later, or an Infra version the table ties to such a release, rules v1 out
// and spares the instance a request that can only answer 404. Knowing nothing, v1 is asked.
func wsseiV1Possible(scan sei.VersionScan, table *sei.VersionTable) bool {
	for _, v := range [...]string{scan.TitleVersion, scan.AssetSEI, scan.LogoVersion} {
		if v != "" {
			return !atLeastSEI4(v)
		}
	}
	if scan.AssetInfra != "" && table != nil {
		if rel, ok := table.ByInfra(scan.AssetInfra); ok {
			return !atLeastSEI4(rel.SEI)
		}
	}
	return true
}

// atLeastSEI4 says v is a version of SEI 4 or later; false when it cannot tell.
func atLeastSEI4(v string) bool { return sei.IsVersion(v) && sei.CompareVersions(v, "4") >= 0 }

// wsseiToken logs in to mod-wssei (POST /autenticar; the server sleeps ~3 s). Empty on failure.
func wsseiToken(ctx context.Context, s *sei.Session, t probe.Target) string {
	form := url.Values{"usuario": {t.Credentials.Username}, "senha": {t.Credentials.Password.Reveal()}, "orgao": {t.Credentials.Orgao}}
	resp, err := s.Do(ctx, sei.Request{Method: http.MethodPost, URL: sei.JoinURL(t.URL, sei.WSSEIAuth), Form: form,
		Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return ""
	}
	a, err := sei.ParseWSSEI(resp.Text())
	if err != nil || a.State != sei.WSSEIOK {
		return ""
	}
	return a.Token
}

// loginReason is a login error for an operator.
func loginReason(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return reason(ctx, err)
	}
	return err.Error()
}
