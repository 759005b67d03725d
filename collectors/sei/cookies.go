package sei

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// cookieStore is a Session's cookies, kept as RFC 6265 says a user agent keeps them.
//
// It replaces net/http/cookiejar, which is built for a browser talking to the whole web: a map of
// maps keyed by registrable domain, punycode and public-suffix work on every call, a sort and a
// fresh []*http.Cookie on every request. A Session is one profile talking to one SEI instance
// (a host, with SEI and SIP on different paths), so it holds a handful of cookies and a slice
// scanned in order costs less than any index. In a 10,000-instance load test the jar was ~2% of
// vigia's CPU and ~6% of the bytes it allocated.
//
// There is no public-suffix list: vigia never had one (the jar ran without it) and the cookies
// only ever go back to the instance and where its redirects lead. A Domain attribute must still
// domain-match the host that set it, and a single-label one (Domain=br) is refused.
//
// It also serves as the http.CookieJar of the proxied client. Not safe for concurrent use, like
// the Session.
type cookieStore struct {
	// entries are in the order RFC 6265 5.4 sends them (longer paths first, then earlier
	// creation), kept so on insertion: sending is one pass, with no sort.
	entries []storedCookie
	// seq numbers creations: a clock could give two cookies of one response the same time.
	seq uint64
	// expiring counts entries with an expiry. Without any (PHP's session cookies have none),
	// sending needs no clock.
	expiring int
}

type storedCookie struct {
	name, value string
	// quoted says the value came in double quotes, which go back with it as a browser sends them.
	quoted bool
	// domain is the host that set the cookie (hostOnly) or its Domain attribute: lower case, no
	// port (cookies do not tell ports apart), no leading dot.
	domain   string
	hostOnly bool
	path     string
	secure   bool
	// expires is zero for a session cookie, which lives as long as the Session.
	expires time.Time
	created uint64
}

// maxCookies bounds the store against a server that sets cookies without end: SEI sets one or two
// per path, and every request carries those that apply.
const maxCookies = 50

// maxCookieAge caps Max-Age (RFC 6265bis caps it at 400 days too), so that seconds never
// overflow a time.Duration.
const maxCookieAge = 400 * 24 * 60 * 60

// SetCookies stores the cookies a response to u set, and deletes those they expire.
func (j *cookieStore) SetCookies(u *url.URL, cs []*http.Cookie) {
	host, ok := cookieHost(u)
	if !ok {
		return
	}
	var now time.Time
	for _, c := range cs {
		j.set(u, host, c, &now)
	}
}

// set stores one cookie. now is read from the clock when first needed: a cookie without Max-Age
// or Expires needs none.
func (j *cookieStore) set(u *url.URL, host string, c *http.Cookie, now *time.Time) {
	if c == nil || !validCookieName(c.Name) || !validCookieValue(c.Value) {
		return
	}
	domain, hostOnly, ok := cookieDomain(host, c.Domain)
	if !ok {
		return
	}
	path := c.Path
	if path == "" || path[0] != '/' {
		path = defaultCookiePath(u.Path)
	}
	clock := func() time.Time {
		if now.IsZero() {
			*now = time.Now()
		}
		return *now
	}
	var expires time.Time
	remove := false
	switch {
	case c.MaxAge < 0: // Max-Age=0 or negative: net/http says so with -1
		remove = true
	case c.MaxAge > 0: // Max-Age wins over Expires
		expires = clock().Add(time.Duration(min(c.MaxAge, maxCookieAge)) * time.Second)
	case !c.Expires.IsZero():
		if !c.Expires.After(clock()) {
			remove = true
		} else {
			expires = c.Expires
		}
	}
	i := j.find(c.Name, domain, path)
	if remove {
		if i >= 0 {
			j.remove(i)
		}
		return
	}
	e := storedCookie{name: c.Name, value: c.Value, quoted: c.Quoted, domain: domain, hostOnly: hostOnly,
		path: path, secure: c.Secure, expires: expires}
	if !expires.IsZero() {
		j.expiring++
	}
	if i >= 0 {
		// A replacement keeps the creation time of the cookie it replaces (RFC 6265 5.3 step
		// 11.3), and so its place in the sending order: the path is the same.
		old := &j.entries[i]
		if !old.expires.IsZero() {
			j.expiring--
		}
		e.created = old.created
		*old = e
		return
	}
	if len(j.entries) >= maxCookies {
		j.remove(j.oldest())
	}
	j.seq++
	e.created = j.seq
	if j.entries == nil {
		j.entries = make([]storedCookie, 0, 4)
	}
	// The new cookie is the latest created: it goes after every cookie whose path is as long.
	k := len(j.entries)
	for k > 0 && len(j.entries[k-1].path) < len(path) {
		k--
	}
	j.entries = append(j.entries, storedCookie{})
	copy(j.entries[k+1:], j.entries[k:])
	j.entries[k] = e
}

// find is the index of the cookie with this name, domain and path, the identity RFC 6265 5.3
// step 11 replaces by, or -1.
func (j *cookieStore) find(name, domain, path string) int {
	for i := range j.entries {
		e := &j.entries[i]
		if e.name == name && e.domain == domain && e.path == path {
			return i
		}
	}
	return -1
}

// remove deletes entry i, keeping the order of the rest.
func (j *cookieStore) remove(i int) {
	if !j.entries[i].expires.IsZero() {
		j.expiring--
	}
	copy(j.entries[i:], j.entries[i+1:])
	j.entries[len(j.entries)-1] = storedCookie{} // the store keeps no secret it no longer holds
	j.entries = j.entries[:len(j.entries)-1]
}

func (j *cookieStore) oldest() int {
	o := 0
	for i := range j.entries {
		if j.entries[i].created < j.entries[o].created {
			o = i
		}
	}
	return o
}

// dropExpired deletes the cookies whose expiry has come.
func (j *cookieStore) dropExpired() {
	if j.expiring == 0 {
		return
	}
	now := time.Now()
	for i := 0; i < len(j.entries); {
		if e := &j.entries[i]; !e.expires.IsZero() && !e.expires.After(now) {
			j.remove(i)
			continue
		}
		i++
	}
}

// clear forgets every cookie, as a new browser profile would start.
func (j *cookieStore) clear() {
	clear(j.entries)
	*j = cookieStore{entries: j.entries[:0], seq: j.seq}
}

// appendCookies appends to b the name=value pairs of a Cookie header for a request to u, in RFC
// 6265 5.4 order; nothing when no cookie applies.
func (j *cookieStore) appendCookies(b []byte, u *url.URL) []byte {
	n := 0
	j.each(u, func(e *storedCookie) {
		if n > 0 {
			b = append(b, "; "...)
		}
		b = append(b, e.name...)
		b = append(b, '=')
		if e.quoted {
			b = append(b, '"')
			b = append(b, e.value...)
			b = append(b, '"')
		} else {
			b = append(b, e.value...)
		}
		n++
	})
	return b
}

// Cookies returns the cookies a request to u carries, in sending order, with only their name and
// value set (http.CookieJar; a kept login reads its session cookies so).
func (j *cookieStore) Cookies(u *url.URL) []*http.Cookie {
	var cs []*http.Cookie
	j.each(u, func(e *storedCookie) {
		cs = append(cs, &http.Cookie{Name: e.name, Value: e.value, Quoted: e.quoted})
	})
	return cs
}

// each calls fn with every cookie a request to u carries, in sending order, after dropping
// the expired ones.
func (j *cookieStore) each(u *url.URL, fn func(*storedCookie)) {
	if len(j.entries) == 0 {
		return
	}
	host, ok := cookieHost(u)
	if !ok {
		return
	}
	j.dropExpired()
	path, https := requestCookiePath(u), u.Scheme == "https"
	for i := range j.entries {
		if e := &j.entries[i]; e.sendTo(host, path, https) {
			fn(e)
		}
	}
}

// sendTo says whether a request to host and path, over https or not, carries the cookie (RFC
// 6265 5.4 step 1). HttpOnly does not matter: it only hides a cookie from scripts.
func (e *storedCookie) sendTo(host, path string, https bool) bool {
	if e.secure && !https {
		return false
	}
	if e.domain != host && (e.hostOnly || !domainMatch(host, e.domain)) {
		return false
	}
	return pathMatch(path, e.path)
}

// cookieHost is u's host as cookies know it: lower case, without port or IPv6 brackets.
func cookieHost(u *url.URL) (string, bool) {
	h := u.Hostname()
	if h == "" {
		return "", false
	}
	return lowerHost(h), true
}

// cookieDomain is where a cookie set by host goes (RFC 6265 5.3 steps 4 to 6), from its Domain
// attribute: without one, host alone. ok is false when the cookie must be ignored.
func cookieDomain(host, attr string) (domain string, hostOnly, ok bool) {
	if attr == "" {
		return host, true, true
	}
	domain = lowerHost(strings.TrimPrefix(attr, "."))
	if domain == "" || domain[0] == '.' || domain[len(domain)-1] == '.' || !asciiOnly(domain) {
		return "", false, false
	}
	if isIPHost(host) {
		// An IP address has no subdomains: only the address itself, and then the cookie is the
		// host's alone, as browsers (and net/http/cookiejar) take it. A leading dot makes no
		// sense on an address and is refused, as browsers do.
		return host, true, attr[0] != '.' && domain == host
	}
	if !strings.Contains(domain, ".") {
		// A single label is a public suffix (or a name like localhost): with no list to tell, it
		// may only name the host itself, whose cookie it then stays.
		return host, true, domain == host
	}
	if domain != host && !domainMatch(host, domain) {
		return "", false, false
	}
	return domain, false, true
}

// domainMatch is RFC 6265 5.1.3's domain-match for a host other than domain: host ends in
// "."+domain and is a name, not an IP address.
func domainMatch(host, domain string) bool {
	return len(host) > len(domain) && host[len(host)-len(domain)-1] == '.' &&
		strings.HasSuffix(host, domain) && !isIPHost(host)
}

func isIPHost(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// pathMatch is RFC 6265 5.1.4's path-match.
func pathMatch(reqPath, cookiePath string) bool {
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || cookiePath[len(cookiePath)-1] == '/' || reqPath[len(cookiePath)] == '/'
}

// requestCookiePath is the path a request to u path-matches with.
func requestCookiePath(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// defaultCookiePath is RFC 6265 5.1.4's default-path of a cookie without Path: the directory of
// the request path, without its last slash ("/sei/controlador.php" → "/sei", "/sip/" → "/sip").
func defaultCookiePath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// validCookieName accepts an RFC 7230 token: a cookie that came through http.ParseSetCookie
// already is one, but one handed to SetCookies otherwise must not break the Cookie header.
func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validCookieValue refuses what would end the pair or the header line.
func validCookieValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f || c == ';' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowerHost lower-cases ASCII letters, allocating only when there is one to change: hosts
// almost always come lower case.
func lowerHost(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
