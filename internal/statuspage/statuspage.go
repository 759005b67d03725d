package statuspage

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/latest"
	"github.com/vigia-sei/vigia/internal/server"
)

//go:embed web
var webFS embed.FS

// FleetSource gives the fleet and the latest Result per (instance, probe). *latest.Latest
// satisfies it.
type FleetSource interface {
	// Snapshot returns views of the instances match accepts (all when nil), sorted by name.
	Snapshot(match func(probe.Target) bool) []latest.InstanceView
	Get(name string) (latest.InstanceView, bool)
}

// AlertSource gives pending and firing alerts and every silence. *alerting.Manager satisfies it.
type AlertSource interface {
	Alerts() []alerting.Alert
	Silences() []alerting.Silence
}

// Options configure the status page.
type Options struct {
	Fleet FleetSource
	// Alerts may be nil when alerting is not configured; the page then says so. Do not pass a
	// typed nil pointer.
	Alerts AlertSource
	// BasePath is the path prefix the page is served under behind a reverse proxy ("/vigia");
	// links are built with it. Empty means the root.
	BasePath string
	// Refresh is how often the page refreshes its data in place; 0 means 30s, negative turns
	// auto-refresh off.
	Refresh time.Duration
	// PageSize is the number of instances per page of the fleet table (default 100).
	PageSize int
	// CacheTTL is how long one classification of the whole fleet (and one read of the alerts)
	// serves page requests; 0 means 2s, negative rebuilds it for every request.
	CacheTTL time.Duration
	// Location shows times in this zone; nil means America/Sao_Paulo (or UTC if the zone
	// database is missing).
	Location *time.Location
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

const (
	defaultPageSize = 100
	defaultRefresh  = 30 * time.Second
	defaultCacheTTL = 2 * time.Second
)

// csp forbids every origin but vigia's own: no CDN, no inline script or style.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Page serves the status pages.
type Page struct {
	fleet   FleetSource
	alerts  AlertSource
	base    string
	refresh int // seconds; 0 off
	perPage int
	loc     *time.Location
	log     *slog.Logger
	now     func() time.Time
	tmpl    map[string]*template.Template
	assets  map[string]asset
	bufs    sync.Pool
	ttl     time.Duration
	mmu     sync.Mutex
	cached  *fleetModel
}

type asset struct {
	body, gz []byte
	ctype    string
	tag      string
}

// New parses the embedded templates and assets.
func New(o Options) (*Page, error) {
	if o.Fleet == nil {
		return nil, errors.New("statuspage: Options.Fleet is required")
	}
	p := &Page{
		fleet: o.Fleet, alerts: o.Alerts, base: strings.TrimRight(o.BasePath, "/"),
		perPage: cmp.Or(o.PageSize, defaultPageSize), loc: o.Location, log: o.Logger, now: o.Now,
		ttl:  cmp.Or(o.CacheTTL, defaultCacheTTL),
		bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
	if p.base != "" && !strings.HasPrefix(p.base, "/") {
		return nil, fmt.Errorf("statuspage: BasePath %q must start with /", o.BasePath)
	}
	switch {
	case o.Refresh == 0:
		p.refresh = int(defaultRefresh / time.Second)
	case o.Refresh > 0:
		p.refresh = max(1, int(o.Refresh/time.Second))
	}
	if p.loc == nil {
		loc, err := time.LoadLocation("America/Sao_Paulo")
		if err != nil {
			loc = time.UTC
		}
		p.loc = loc
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if err := p.loadAssets(); err != nil {
		return nil, err
	}
	base, err := template.New("layout.html").Funcs(p.funcs()).ParseFS(webFS, "web/layout.html")
	if err != nil {
		return nil, fmt.Errorf("statuspage: layout template: %w", err)
	}
	p.tmpl = map[string]*template.Template{}
	for _, name := range []string{"fleet", "instance", "alerts", "notfound"} {
		t, err := template.Must(base.Clone()).ParseFS(webFS, "web/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("statuspage: template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

func (p *Page) loadAssets() error {
	p.assets = map[string]asset{}
	for _, name := range []string{"vigia.css", "vigia.js", "vigia.svg"} {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			return fmt.Errorf("statuspage: asset %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		p.assets[name] = asset{body: b, gz: gz.Bytes(), ctype: mime.TypeByExtension(path.Ext(name)), tag: hex.EncodeToString(sum[:6])}
	}
	return nil
}

// Routes are the patterns Mount registers (relative to BasePath).
var routes = []string{"/{$}", "/instancias/{name}", "/alertas", "/assets/{file}"}

// Mount registers the pages on the daemon's server: GET {base}/, {base}/instancias/{name},
// {base}/alertas and {base}/assets/{file}.
func (p *Page) Mount(s *server.Server) {
	for _, r := range routes {
		s.Handle("GET "+p.base+r, p.handlerFor(r))
	}
}

// Handler serves the same routes on their own, for tests and embedding.
func (p *Page) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle("GET "+p.base+r, p.handlerFor(r))
	}
	return mux
}

func (p *Page) handlerFor(route string) http.Handler {
	switch route {
	case "/{$}":
		return http.HandlerFunc(p.serveFleet)
	case "/instancias/{name}":
		return http.HandlerFunc(p.serveInstance)
	case "/alertas":
		return http.HandlerFunc(p.serveAlerts)
	}
	return http.HandlerFunc(p.serveAsset)
}

func (p *Page) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := p.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.tag+`"`)
	h.Set("Vary", "Accept-Encoding")
	// The URL carries the content hash, so a long cache is safe.
	h.Set("Cache-Control", "public, max-age=604800, immutable")
	if r.Header.Get("If-None-Match") == `"`+a.tag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && !strings.Contains(strings.ReplaceAll(q, " ", ""), "q=0") {
			return true
		}
	}
	return false
}

// render executes a page template into a buffer first, so a template error is a clean 500 and
// not half a page.
func (p *Page) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := p.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() < 4<<20 {
			p.bufs.Put(buf)
		}
	}()
	if err := p.tmpl[name].ExecuteTemplate(buf, "layout.html", data); err != nil {
		p.log.Error("statuspage: rendering failed", "page", name, "err", err)
		http.Error(w, "erro ao montar a página; veja o log do vigia", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Encoding")
	if acceptsGzip(r) && buf.Len() > 1024 {
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		_, _ = buf.WriteTo(zw)
		_ = zw.Close()
		return
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// common is what the layout needs.
type common struct {
	Title   string
	Section string // fleet, instance, alerts
	Now     time.Time
	Refresh int
	// AlertsOn is false when no alert source is configured.
	AlertsOn bool
	Firing   int
}

func (p *Page) common(title, section string, now time.Time, m *fleetModel) common {
	return common{Title: title, Section: section, Now: now, Refresh: p.refresh, AlertsOn: m.alertsOn, Firing: m.firing}
}

type summaryItem struct {
	State stateDef
	Count int
	Query string
}

type pageLink struct {
	N       int
	Query   string
	Current bool
	Gap     bool // an ellipsis before this link
}

type fleetData struct {
	common
	F          filter
	Total      int
	Matched    int
	From, To   int
	Rows       []row
	Summary    []summaryItem
	Owners     []string
	Envs       []string
	States     []stateDef
	PerPage    []int
	Grid       []gridRow
	GridEnvs   []string
	GridOwners int
	Alerts     alertSummary
	Silences   []alerting.Silence
	Pages      []pageLink
	Prev, Next string
	ClearQuery string
	SortQuery  map[string]string
}

func (p *Page) serveFleet(w http.ResponseWriter, r *http.Request) {
	f := parseFilter(r.URL.Query(), p.perPage)
	m := p.model()
	d := fleetData{common: p.common("Frota SEI", "fleet", m.at, m), Total: len(m.rows),
		Owners: m.owners, Envs: m.envs, PerPage: perPageChoices, Grid: m.grid, GridEnvs: m.envs,
		GridOwners: m.gridOwners, Alerts: m.alertSum}
	needle := strings.ToLower(f.Q)
	matched := make([]int32, 0, len(m.rows))
	if order := m.order(f.Sort); order != nil {
		for _, i := range order {
			if m.match(int(i), &f, needle) {
				matched = append(matched, i)
			}
		}
	} else {
		for i := range m.rows {
			if m.match(i, &f, needle) {
				matched = append(matched, int32(i))
			}
		}
	}
	for _, k := range stateList {
		d.States = append(d.States, states[k])
		d.Summary = append(d.Summary, summaryItem{State: states[k], Count: m.counts[k],
			Query: filter{PerPage: f.PerPage, State: k}.query()})
	}

	d.Matched = len(matched)
	pages := max(1, (len(matched)+f.PerPage-1)/f.PerPage)
	f.Page = min(f.Page, pages)
	d.F = f
	start := (f.Page - 1) * f.PerPage
	end := min(start+f.PerPage, len(matched))
	d.Rows = make([]row, 0, end-start)
	for _, i := range matched[start:end] {
		d.Rows = append(d.Rows, m.rows[i])
	}
	d.From, d.To = start+1, end
	if len(matched) == 0 {
		d.From = 0
	}
	d.Pages = pager(f, pages)
	if f.Page > 1 {
		d.Prev = f.query("pagina", pageParam(f.Page-1))
	}
	if f.Page < pages {
		d.Next = f.query("pagina", strconv.Itoa(f.Page+1))
	}
	d.ClearQuery = filter{PerPage: f.PerPage}.query()
	if d.ClearQuery == "" {
		d.ClearQuery = "?"
	}
	for _, s := range m.silences {
		if s.State == alerting.SilenceActive {
			d.Silences = append(d.Silences, s)
		}
	}
	p.render(w, r, http.StatusOK, "fleet", d)
}

func pageParam(n int) string {
	if n <= 1 {
		return ""
	}
	return strconv.Itoa(n)
}

// pager lists the first, last and nearby pages, with gaps marked.
func pager(f filter, pages int) []pageLink {
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < f.Page-2 || n > f.Page+2) {
			continue
		}
		out = append(out, pageLink{N: n, Query: f.query("pagina", pageParam(n)), Current: n == f.Page, Gap: last != 0 && n != last+1})
		last = n
	}
	return out
}

type probeView struct {
	Name string
	R    latest.ResultView
}

// evidenceView is one piece of evidence and the failing probes that saw it: when an instance is
// down every probe fails on the same first request, and one copy is enough.
type evidenceView struct {
	Probes []string
	Error  string
	E      *probe.Evidence
}

type instanceData struct {
	common
	I         latest.InstanceView
	Row       row
	Labels    [][2]string
	Probes    []probeView
	Synthetic *latest.ResultView
	StepTotal float64
	Version   *latest.ResultView
	Modules   *latest.ResultView
	Evidence  []evidenceView
	Alerts    []alerting.Alert
	Silences  []alerting.Silence
	Back      string
}

func (p *Page) serveInstance(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	name := r.PathValue("name")
	m := p.model()
	iv, ok := p.fleet.Get(name)
	if !ok {
		d := struct {
			common
			Name string
		}{p.common("Instância não encontrada", "instance", now, m), name}
		d.Refresh = 0
		p.render(w, r, http.StatusNotFound, "notfound", d)
		return
	}
	mine := m.instanceAlerts(name)
	d := instanceData{common: p.common("Instância "+iv.Name, "instance", now, m), I: iv,
		Row: classify(&iv, mine, now), Alerts: mine, Back: p.base + "/"}
	keys := make([]string, 0, len(iv.Labels))
	for k := range iv.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.Labels = append(d.Labels, [2]string{k, iv.Labels[k]})
	}
	seen := map[string]bool{}
	for _, name := range probeOrder {
		if rv, ok := iv.Probes[name]; ok {
			d.Probes = append(d.Probes, probeView{name, rv})
			seen[name] = true
		}
	}
	var extra []string
	for name := range iv.Probes {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		d.Probes = append(d.Probes, probeView{name, iv.Probes[name]})
	}
	for _, pv := range d.Probes {
		if pv.R.OK || pv.R.Evidence == nil {
			continue
		}
		dup := false
		for i := range d.Evidence {
			if *d.Evidence[i].E == *pv.R.Evidence {
				d.Evidence[i].Probes = append(d.Evidence[i].Probes, lookup(probeNames, pv.Name))
				dup = true
				break
			}
		}
		if !dup {
			d.Evidence = append(d.Evidence, evidenceView{Probes: []string{lookup(probeNames, pv.Name)}, Error: pv.R.Error, E: pv.R.Evidence})
		}
	}
	if s, ok := iv.Probes[probe.Synthetic]; ok {
		d.Synthetic = &s
		for _, st := range s.Steps {
			d.StepTotal += st.DurationSeconds
		}
	}
	if v, ok := iv.Probes[probe.Version]; ok {
		d.Version = &v
	}
	if m, ok := iv.Probes[probe.Modules]; ok {
		d.Modules = &m
	}
	labels := instanceLabels(&iv)
	referenced := map[string]bool{}
	for _, a := range mine {
		for _, id := range a.SilencedBy {
			referenced[id] = true
		}
	}
	for _, s := range m.silences {
		if s.State == alerting.SilenceExpired {
			continue
		}
		if referenced[s.ID] || silenceRelevant(s, labels) {
			d.Silences = append(d.Silences, s)
		}
	}
	p.render(w, r, http.StatusOK, "instance", d)
}

type alertsData struct {
	common
	Severity, State, Owner, Q string
	Owners                    []string
	Total, Matched            int
	From, To                  int
	Alerts                    []alerting.Alert
	Prev, Next                string
	Silences                  []alerting.Silence
	Expired                   int
	ShowExpired               bool
	ExpiredQuery              string
}

const alertsPerPage = 100

func (p *Page) serveAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m := p.model()
	d := alertsData{common: p.common("Alertas e silêncios", "alerts", m.at, m),
		Severity: q.Get("severidade"), State: q.Get("estado"), Owner: q.Get("orgao"), Q: strings.TrimSpace(q.Get("q")),
		ShowExpired: q.Get("expirados") == "1", Total: len(m.alerts), Owners: m.alertOwns}
	if _, ok := severityNames[d.Severity]; !ok {
		d.Severity = ""
	}
	if d.State != alerting.StateFiring && d.State != alerting.StatePending {
		d.State = ""
	}
	var list []alerting.Alert
	for _, a := range m.alerts {
		if d.Severity != "" && a.Labels["severity"] != d.Severity || d.State != "" && a.State != d.State ||
			d.Owner != "" && a.Labels["owner"] != d.Owner {
			continue
		}
		if d.Q != "" && !containsFold(a.Labels["instance"], d.Q) && !containsFold(a.Labels["alertname"], d.Q) &&
			!containsFold(a.Annotations["summary"], d.Q) {
			continue
		}
		list = append(list, a)
	}
	d.Matched = len(list)
	page, _ := strconv.Atoi(q.Get("pagina"))
	pages := max(1, (len(list)+alertsPerPage-1)/alertsPerPage)
	page = min(max(page, 1), pages)
	start, end := (page-1)*alertsPerPage, min(page*alertsPerPage, len(list))
	d.Alerts = list[start:end]
	d.From, d.To = start+1, end
	if len(list) == 0 {
		d.From = 0
	}
	link := func(n int) string {
		v := r.URL.Query()
		if n <= 1 {
			v.Del("pagina")
		} else {
			v.Set("pagina", strconv.Itoa(n))
		}
		return "?" + v.Encode()
	}
	if page > 1 {
		d.Prev = link(page - 1)
	}
	if page < pages {
		d.Next = link(page + 1)
	}
	ev := r.URL.Query()
	if d.ShowExpired {
		ev.Del("expirados")
	} else {
		ev.Set("expirados", "1")
	}
	d.ExpiredQuery = "?" + ev.Encode()
	for _, s := range m.silences {
		if s.State == alerting.SilenceExpired {
			d.Expired++
			if !d.ShowExpired {
				continue
			}
		}
		d.Silences = append(d.Silences, s)
	}
	p.render(w, r, http.StatusOK, "alerts", d)
}
