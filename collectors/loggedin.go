package collectors

import (
	"strings"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/collectors/sei"
)

// DefaultLoggedInMaxAge is how old a logged-in page another probe saw may be for the version probe
// to read it instead of logging in itself.
const DefaultLoggedInMaxAge = 10 * time.Minute

// loggedInFresh is how recent a recorded page must be for the synthetic probe not to record its
// own: half of DefaultLoggedInMaxAge, so that the version probe always finds one young enough.
const loggedInFresh = DefaultLoggedInMaxAge / 2

// LoggedInPage is what a logged-in SEI page said about versions, as a probe saw it right after its
// own SIP login.
type LoggedInPage struct {
	At time.Time
	// By is the probe that saw the page (modules, synthetic).
	By string
	// From VersionScan: the title, asset and logo versions and the production-mode evidence.
	TitleVersion, AssetSEI, LogoVersion, AssetInfra string
	VersionedAssets, RandomSuffixes                 int
}

// Scan gives the page back as the VersionScan fields the version probe reads.
func (p LoggedInPage) Scan() sei.VersionScan {
	return sei.VersionScan{TitleVersion: p.TitleVersion, AssetSEI: p.AssetSEI, LogoVersion: p.LogoVersion,
		AssetInfra: p.AssetInfra, VersionedAssets: p.VersionedAssets, RandomSuffixes: p.RandomSuffixes}
}

// LoggedInPages remembers, per instance, the last logged-in page the modules and synthetic probes
// saw after their own SIP logins. The version probe reads the page-title and asset versions from it
// instead of opening one more SIP session per run (SEI.md: that source "needs the synthetic
// login"): on a fleet that runs all probes, one SIP login per instance and interval fewer, which
// the monitored SEI and its login audit notice as much as vigia's CPU does. The version probe logs
// in itself when no page is recent enough.
//
// A nil *LoggedInPages records nothing and finds nothing. Safe for concurrent use.
type LoggedInPages struct {
	mu sync.RWMutex
	m  map[string]LoggedInPage
}

// NewLoggedInPages returns an empty store.
func NewLoggedInPages() *LoggedInPages { return &LoggedInPages{m: map[string]LoggedInPage{}} }

// Record keeps what a logged-in page of instance says, when it shows an SEI version at all, and
// says whether it did. The strings are copied: a scan may point into the page's body, which must
// not outlive the run.
func (s *LoggedInPages) Record(instance, by string, v sei.VersionScan, at time.Time) bool {
	if s == nil || (v.TitleVersion == "" && v.AssetSEI == "" && v.LogoVersion == "") {
		return false
	}
	p := LoggedInPage{At: at, By: by,
		TitleVersion: strings.Clone(v.TitleVersion), AssetSEI: strings.Clone(v.AssetSEI),
		LogoVersion: strings.Clone(v.LogoVersion), AssetInfra: strings.Clone(v.AssetInfra),
		VersionedAssets: v.VersionedAssets, RandomSuffixes: v.RandomSuffixes}
	s.mu.Lock()
	if old, ok := s.m[instance]; !ok || !old.At.After(at) {
		s.m[instance] = p
	}
	s.mu.Unlock()
	return true
}

// Seen returns the instance's last logged-in page when it is at most maxAge old at now.
func (s *LoggedInPages) Seen(instance string, maxAge time.Duration, now time.Time) (LoggedInPage, bool) {
	if s == nil || maxAge <= 0 {
		return LoggedInPage{}, false
	}
	s.mu.RLock()
	p, ok := s.m[instance]
	s.mu.RUnlock()
	if !ok || now.Sub(p.At) > maxAge || p.At.After(now.Add(time.Minute)) {
		return LoggedInPage{}, false
	}
	return p, true
}

// Forget drops instances that left the fleet.
func (s *LoggedInPages) Forget(instances []string) {
	if s == nil || len(instances) == 0 {
		return
	}
	s.mu.Lock()
	for _, name := range instances {
		delete(s.m, name)
	}
	s.mu.Unlock()
}

// Len is the number of instances remembered.
func (s *LoggedInPages) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
