package seisim

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Identifiers SEI shows in links. They are per installation in real SEI; seisim uses the values
// of a default installation so links look alike everywhere.
const (
	idSistemaSEI   = "100000100"
	idUnidadeAtual = "110000001"
	siglaUnidade   = "PROTOCOLO"
	idUsuarioBase  = 100000001
)

// instance is the run-time state of one virtual SEI.
type instance struct {
	srv      *Server
	idx      int
	name     string
	cfg      atomic.Pointer[Instance] // replaced whole by SetFaults/SetSEIVersion
	sessions sessionStore
	secret   [32]byte // derives stateless values: SIP CSRF token, captcha code, wssei tokens
}

func newInstance(s *Server, c Instance, seed int64, idx int) *instance {
	c = normalize(c, idx)
	in := &instance{srv: s, idx: idx, name: c.Name}
	in.cfg.Store(&c)
	// The secret is deterministic per (seed, name) so tokens survive a seisim restart in tests
	// that pin the seed; it never leaves the process.
	in.secret = sha256.Sum256([]byte("seisim/" + strconv.FormatInt(seed, 10) + "/" + c.Name))
	return in
}

func (in *instance) config() Instance {
	c := *in.cfg.Load()
	c.Modules = append([]Module(nil), c.Modules...)
	c.Users = append([]User(nil), c.Users...)
	c.Protocols = append([]string(nil), c.Protocols...)
	return c
}

func (in *instance) setFaults(f Faults) {
	c := *in.cfg.Load()
	c.Faults = f
	in.cfg.Store(&c)
}

func (in *instance) setSEIVersion(v string) {
	c := *in.cfg.Load()
	c.SEIVersion = v
	in.cfg.Store(&c)
}

// normalize fills defaults: one monitoring user, two protocols the quick search finds.
func normalize(c Instance, idx int) Instance {
	if len(c.Users) == 0 {
		c.Users = []User{{Login: "monitor", Password: "monitor123", Orgao: "0"}}
	}
	for i := range c.Users {
		if c.Users[i].Orgao == "" {
			c.Users[i].Orgao = "0"
		}
	}
	if len(c.Protocols) == 0 {
		c.Protocols = []string{"00000.000001/2024-00", defaultProtocol(idx)}
	}
	if c.Org == "" {
		c.Org = "ORG"
	}
	if c.SEIVersion == "" {
		c.SEIVersion = "4.1.5"
	}
	if c.InfraVersion == "" {
		c.InfraVersion = infraFor(c.SEIVersion)
	}
	if c.SIPVersion == "" {
		c.SIPVersion = sipFor(c.SEIVersion)
	}
	return c
}

func defaultProtocol(idx int) string {
	n := 1000 + idx
	return strconv.Itoa(10000+idx%90000) + "." + pad6(n) + "/2024-" + strconv.Itoa(10+idx%90)
}

func pad6(n int) string {
	s := strconv.Itoa(n % 1000000)
	return strings.Repeat("0", 6-len(s)) + s
}

func infraFor(sei string) string {
	for _, l := range knownLines {
		if l.SEI == sei {
			return l.Infra
		}
	}
	best := knownLines[2].Infra
	for _, l := range knownLines {
		if compareVersions(l.SEI, sei) <= 0 {
			best = l.Infra
		}
	}
	return best
}

func sipFor(sei string) string {
	best := knownLines[2].SIP
	for _, l := range knownLines {
		if compareVersions(l.SEI, sei) <= 0 {
			best = l.SIP
		}
	}
	return best
}

// req carries one request through an instance.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	in   *instance
	c    *Instance
	base string // "/<name>" in path-prefix mode
	path string // path inside the instance: "/sei/...", "/sip/..."
	now  time.Time
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	// Host mode: "<name>.<anything>".
	if h := r.Host; h != "" {
		if i := strings.IndexByte(h, '.'); i > 0 {
			if in, ok := s.lookup(h[:i]); ok {
				in.serve(w, r, "", p)
				return
			}
		}
	}
	if len(p) > 1 {
		name, tail, _ := strings.Cut(p[1:], "/")
		if in, ok := s.lookup(name); ok {
			in.serve(w, r, "/"+name, "/"+tail)
			return
		}
	}
	notFound(w, r.URL.Path)
}

func (in *instance) serve(w http.ResponseWriter, r *http.Request, base, path string) {
	c := in.cfg.Load()
	f := &c.Faults
	if f.Down {
		abortConnection(w)
		return
	}
	ctx := r.Context()
	if f.Hang {
		<-ctx.Done()
		return
	}
	if d := in.delay(c); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	q := &req{w: w, r: r, in: in, c: c, base: base, path: path, now: in.srv.opts.Now()}
	if f.Status500 {
		q.fatalError()
		return
	}
	switch {
	case path == "/sei":
		q.redirect(http.StatusMovedPermanently, q.abs("/sei/"))
	case strings.HasPrefix(path, "/sei/"):
		if f.Maintenance {
			q.maintenance()
			return
		}
		q.serveSEI()
	case path == "/sip":
		q.redirect(http.StatusMovedPermanently, q.abs("/sip/"))
	case strings.HasPrefix(path, "/sip/"):
		q.serveSIP()
	case path == "/infra_js/" || strings.HasPrefix(path, "/infra_js/") || strings.HasPrefix(path, "/infra_css/"):
		q.asset()
	default:
		notFound(w, r.URL.Path)
	}
}

// delay is the per-response latency: Slow plus Mean ± Jitter.
func (in *instance) delay(c *Instance) time.Duration {
	d := c.Faults.Slow + c.Latency.Mean
	if j := c.Latency.Jitter; j > 0 {
		d += time.Duration(rand.Int64N(int64(2*j)+1)) - j
	}
	if d < 0 {
		return 0
	}
	return d
}

// abortConnection closes the connection without writing a response, as a crashed web server or a
// dropped TCP session looks to the client.
func abortConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// abs is an absolute URL of a path inside the instance, as SEI builds from its configured URL.
func (q *req) abs(p string) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + q.r.Host + q.base + p
}

func (q *req) redirect(code int, loc string) {
	h := q.w.Header()
	h["Location"] = []string{loc}
	h["Content-Type"] = ctHTML
	q.w.WriteHeader(code)
}

var (
	ctHTML     = []string{"text/html; charset=iso-8859-1"}
	ctHTMLUTF8 = []string{"text/html; charset=UTF-8"}
	ctJSON     = []string{"application/json;charset=utf-8"}
	ctXML      = []string{"text/xml; charset=UTF-8"}
	hdrExpires = []string{"Thu, 19 Nov 1981 08:52:00 GMT"}
	hdrNoCache = []string{"no-store, no-cache, must-revalidate"}
	hdrPragma  = []string{"no-cache"}
)

// sessionHeaders are what PHP adds to every response of a script that called session_start.
func (q *req) sessionHeaders() {
	h := q.w.Header()
	h["Expires"] = hdrExpires
	h["Cache-Control"] = hdrNoCache
	h["Pragma"] = hdrPragma
}

// setSessionCookie sends PHPSESSID scoped to the instance (path "/" in Host/port mode), so
// instances sharing one host:port in path-prefix mode do not share sessions.
func (q *req) setSessionCookie(id string) {
	q.w.Header().Add("Set-Cookie", "PHPSESSID="+id+"; path="+q.base+"/; HttpOnly")
}

func (q *req) sessionID() string {
	c, err := q.r.Cookie("PHPSESSID")
	if err != nil || !validSessionID(c.Value) {
		return ""
	}
	return c.Value
}

func validSessionID(s string) bool {
	if len(s) < 22 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ',' || c == '-') {
			return false
		}
	}
	return true
}

// page writes an HTML body with the given status.
func (q *req) page(status int, ct []string, body []byte) {
	h := q.w.Header()
	h["Content-Type"] = ct
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	q.w.WriteHeader(status)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(body)
	}
}

// rawQueryValue returns a query parameter exactly as sent (PHP echoes infra_url untouched).
func rawQueryValue(raw, key string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}

// derive returns a stable per-instance value for a purpose and a key (HMAC with the instance
// secret), used for values real SEI keeps in its session or database.
func (in *instance) derive(purpose, key string) []byte {
	m := hmac.New(sha256.New, in.secret[:])
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return m.Sum(nil)
}

// sipTokenName is the SIP 3.0 login CSRF field name: hdnToken<md5("SEI/<ORG>")>.
func sipTokenName(org string) string {
	sum := md5.Sum([]byte("SEI/" + org))
	return "hdnToken" + hex.EncodeToString(sum[:])
}

func (in *instance) sipToken(sid string) string {
	return hex.EncodeToString(in.derive("sip-token", sid)[:16])
}

// captchaCode is the 4-character answer of the captcha shown to session sid.
func (in *instance) captchaCode(sid string) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := in.derive("captcha", sid)
	out := make([]byte, 4)
	for i := range out {
		out[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(out)
}

// assetSuffixes returns the Infra asset suffix of SIP pages and the "<SEI>-<Infra>" suffix of SEI
// pages. Producao=false appends "-<mt_rand()>" per request, as Infra does outside production.
func (q *req) assetSuffixes() (infra, sei string) {
	infra = q.c.InfraVersion
	if !q.c.Producao {
		infra += "-" + strconv.Itoa(int(rand.Int32()))
	}
	return infra, q.pageVersion() + "-" + infra
}

// pageVersion is the SEI version shown on pages (faults.wrong_version overrides it).
func (q *req) pageVersion() string {
	if q.c.Faults.WrongVersion != "" {
		return q.c.Faults.WrongVersion
	}
	return q.c.SEIVersion
}

func (q *req) captchaAfter() int {
	if n := q.c.Faults.CaptchaAfter; n > 0 {
		return n
	}
	return 3
}

// loginLink is InfraSessao::gerarLinkLogin: the SIP login page of this system.
func (q *req) loginLink() string {
	return q.abs("/sip/login.php") + "?sigla_orgao_sistema=" + q.c.Org + "&sigla_sistema=SEI"
}

// b64URI is how Infra passes the original URI to SIP: plain base64, not URL-escaped.
func b64URI(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// latin1QueryEscape is PHP urlencode() of a Latin-1 string.
func latin1QueryEscape(s string) string { return url.QueryEscape(string(latin1(s))) }
