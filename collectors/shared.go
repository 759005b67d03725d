package collectors

import (
	"context"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
)

// SharedAnswerMaxAge is how old an answer another probe of the same instance got may be for a
// probe to read it instead of asking again. The scheduler starts an instance's probes 1.5 s apart
// (health, version, modules, synthetic), so on a shared interval the answers a probe reads are
// a few seconds old; runs further apart ask for themselves.
const SharedAnswerMaxAge = 15 * time.Second

// SharedAnswers holds, per instance, the answers of SEI's public surfaces that two probes would
// otherwise ask for a few seconds apart. One probe always asks; another reads what it got:
//   - the entry (GET /sei/, redirected to SIP's login page), asked by the health probe when it
//     found the login form, read by the version probe when it needs no login of its own;
//   - mod-wssei's /versao, asked by the version probe, read by the modules probe;
//   - mod-wssei's /orgao/listar (a database round trip), asked by the health probe when it
//     answered its list, read by the modules probe.
//
// Only answers that tell something stable are shared: a failure (an error, a 5xx, an error
// message) is never shared, so the next probe sees it for itself and its result carries its own
// evidence. SIP's login page is served twice a round instead of three times, mod-wssei (and its
// database) is asked half as often, which the monitored SEI notices as much as vigia's CPU does.
//
// A nil *SharedAnswers shares nothing. Safe for concurrent use.
type SharedAnswers struct {
	mu sync.Mutex
	m  map[string]*instanceAnswers
}

// instanceAnswers are one instance's shared answers; a zero time means none.
type instanceAnswers struct {
	url string // the instance URL the answers came from: a reload may point the name elsewhere

	versaoAt  time.Time
	versaoKey string // how /versao was asked (token or none): answers differ with it
	versao    sei.WSSEIAnswer

	orgaosAt time.Time

	entryAt  time.Time
	entryKey string // the fetching client's settings (sei.Client.Settings)
	entry    sharedEntry
}

// sharedEntryPath is the entry the version probe opens, and so the only one the health probe shares.
const sharedEntryPath = "/sei/"

// sharedEntry is what the version probe needs of an entry another probe opened (/sei/ and its
// redirect to SIP's login page): the page's version sources and production-mode evidence, and the
// fetch's figures, which the version result records as its entry's. It is kept compact: one per
// instance, 10,000 of them.
type sharedEntry struct {
	fetchFigures
	infra, titleVersion, assetSEI, logoVersion string
	versioned, random                          int32
}

// scan gives the entry back as the VersionScan fields the version probe reads.
func (e *sharedEntry) scan() sei.VersionScan {
	return sei.VersionScan{AssetInfra: e.infra, TitleVersion: e.titleVersion, AssetSEI: e.assetSEI,
		LogoVersion: e.logoVersion, VersionedAssets: int(e.versioned), RandomSuffixes: int(e.random), LoginForm: true}
}

// putEntry records an entry that ended on SIP's login form (the health probe's finding of a
// healthy instance; a failing entry is never shared), fetched by a client with the given settings.
func (s *SharedAnswers) putEntry(instance, url, settings string, resp *sei.Response, scan sei.VersionScan, at time.Time) {
	if s == nil || resp == nil || resp.Status != 200 || !scan.LoginForm || scan.Maintenance {
		return
	}
	// The scan's strings are copies (ScanVersions): the entry keeps nothing of the page.
	e := sharedEntry{fetchFigures: figuresOf(resp), infra: scan.AssetInfra, titleVersion: scan.TitleVersion,
		assetSEI: scan.AssetSEI, logoVersion: scan.LogoVersion,
		versioned: int32(scan.VersionedAssets), random: int32(scan.RandomSuffixes)}
	s.mu.Lock()
	a := s.at(instance, url, true)
	a.entry, a.entryKey, a.entryAt = e, settings, at
	s.mu.Unlock()
}

// entry returns a fresh entry fetched by a client with the same settings, and when it was fetched.
func (s *SharedAnswers) entry(instance, url, settings string, now time.Time) (sharedEntry, time.Time, bool) {
	if s == nil {
		return sharedEntry{}, time.Time{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.at(instance, url, false)
	if a == nil || a.entryKey != settings || !freshAnswer(a.entryAt, now) {
		return sharedEntry{}, time.Time{}, false
	}
	return a.entry, a.entryAt, true
}

// NewSharedAnswers returns an empty store.
func NewSharedAnswers() *SharedAnswers {
	return &SharedAnswers{m: map[string]*instanceAnswers{}}
}

// at returns the instance's answers when they came from url, creating them (for a write) when
// create is set. The caller holds s.mu.
func (s *SharedAnswers) at(instance, url string, create bool) *instanceAnswers {
	a := s.m[instance]
	if a != nil && a.url == url {
		return a
	}
	if !create {
		return nil
	}
	a = &instanceAnswers{url: url}
	s.m[instance] = a
	return a
}

// freshAnswer says an answer got at at is young enough at now to pass on (a clock step back of more
// than a second makes it too young to trust).
func freshAnswer(at, now time.Time) bool {
	return !at.IsZero() && now.Sub(at) <= SharedAnswerMaxAge && !at.After(now.Add(time.Second))
}

// putVersao records a /versao answer that tells a stable state: OK, absent (not installed),
// inactive or incompatible. key says how it was asked.
func (s *SharedAnswers) putVersao(instance, url, key string, v sei.WSSEIAnswer, at time.Time) {
	if s == nil || v.State == sei.WSSEIError {
		return
	}
	// ParseWSSEI's strings are decoded copies, not views of the page: kept as they are.
	v.Token = "" // never kept: a credential
	s.mu.Lock()
	a := s.at(instance, url, true)
	a.versao, a.versaoKey, a.versaoAt = v, key, at
	s.mu.Unlock()
}

// versao returns a fresh /versao answer asked the same way (key).
func (s *SharedAnswers) versao(instance, url, key string, now time.Time) (sei.WSSEIAnswer, bool) {
	if s == nil {
		return sei.WSSEIAnswer{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.at(instance, url, false)
	if a == nil || a.versaoKey != key || !freshAnswer(a.versaoAt, now) {
		return sei.WSSEIAnswer{}, false
	}
	return a.versao, true
}

// putOrgaosUp records that mod-wssei's v2 /orgao/listar answered its list (200, sucesso).
func (s *SharedAnswers) putOrgaosUp(instance, url string, at time.Time) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.at(instance, url, true).orgaosAt = at
	s.mu.Unlock()
}

// orgaosUp says mod-wssei's v2 /orgao/listar answered its list a moment ago.
func (s *SharedAnswers) orgaosUp(instance, url string, now time.Time) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.at(instance, url, false)
	return a != nil && freshAnswer(a.orgaosAt, now)
}

// versaoKey says how /versao is asked: with the target's token, with one the probe obtains, or
// none; and whether v1 is tried. Answers asked differently differ.
func versaoKey(t probe.Target, authenticate, v1 bool) string {
	key := "none"
	switch {
	case t.Credentials.Token != "":
		key = "token"
	case authenticate && !t.Credentials.Empty():
		key = "authenticate"
	}
	if v1 {
		key += "+v1"
	}
	return key
}

// askVersao asks /versao (the version probe, which always asks itself) and keeps the answer for
// the modules probe.
func (s *SharedAnswers) askVersao(ctx context.Context, sess *sei.Session, t probe.Target, authenticate, v1 bool) (sei.WSSEIAnswer, error) {
	a, err := wsseiVersao(ctx, sess, t, authenticate, v1)
	if err == nil {
		s.putVersao(t.Name, t.URL, versaoKey(t, authenticate, v1), a, time.Now())
	}
	return a, err
}

// readVersao is the /versao answer the version probe got a moment ago, asked the same way, or,
// when there is none, the probe's own.
func (s *SharedAnswers) readVersao(ctx context.Context, sess *sei.Session, t probe.Target, authenticate, v1 bool) (sei.WSSEIAnswer, error) {
	if a, ok := s.versao(t.Name, t.URL, versaoKey(t, authenticate, v1), time.Now()); ok {
		return a, nil
	}
	return wsseiVersao(ctx, sess, t, authenticate, v1)
}

// Forget drops instances that left the fleet.
func (s *SharedAnswers) Forget(instances []string) {
	if s == nil || len(instances) == 0 {
		return
	}
	s.mu.Lock()
	for _, name := range instances {
		delete(s.m, name)
	}
	s.mu.Unlock()
}
