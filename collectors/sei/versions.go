package sei

import (
	"bytes"
	"crypto/md5" //nolint:gosec // SEI's own asset fingerprint, not a security use
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed versions.yaml
var versionsYAML []byte

// Release is one known SEI release and the Infra/SIP versions it ships with.
type Release struct {
	SEI   string `yaml:"sei"`
	Infra string `yaml:"infra"`
	SIP   string `yaml:"sip,omitempty"`
}

// Hash is md5("<SEI>-<INFRA>"), the asset suffix of SEI's external pages.
func (r Release) Hash() string {
	sum := md5.Sum([]byte(r.SEI + "-" + r.Infra)) //nolint:gosec // fingerprint
	return hex.EncodeToString(sum[:])
}

// VersionTable answers "which SEI ships this Infra" and "which pair has this hash".
type VersionTable struct {
	releases []Release // sorted by Infra version
	byHash   map[string]Release
}

type versionsFile struct {
	Releases []Release `yaml:"releases"`
}

// DefaultVersionTable is the embedded table.
func DefaultVersionTable() *VersionTable {
	t, err := parseVersionTable(versionsYAML, nil)
	if err != nil {
		panic(fmt.Sprintf("sei: embedded versions.yaml: %v", err)) // a build-time bug, caught by tests
	}
	return t
}

// LoadVersionTable merges a YAML file (same format as versions.yaml) over the embedded table.
func LoadVersionTable(path string) (*VersionTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("versions table: %w", err)
	}
	base := DefaultVersionTable()
	t, err := parseVersionTable(b, base.releases)
	if err != nil {
		return nil, fmt.Errorf("versions table %s: %w", path, err)
	}
	return t, nil
}

func parseVersionTable(b []byte, base []Release) (*VersionTable, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f versionsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	merged := map[string]Release{}
	for _, r := range base {
		merged[r.SEI] = r
	}
	for i, r := range f.Releases {
		if !isVersion(r.SEI) || !isVersion(r.Infra) || (r.SIP != "" && !isVersion(r.SIP)) {
			return nil, fmt.Errorf("releases[%d]: sei, infra (and sip when given) must be versions like 4.1.5, got %+v", i, r)
		}
		merged[r.SEI] = r
	}
	t := &VersionTable{byHash: map[string]Release{}}
	for _, r := range merged {
		t.releases = append(t.releases, r)
		t.byHash[r.Hash()] = r
	}
	sort.Slice(t.releases, func(i, j int) bool {
		if c := CompareVersions(t.releases[i].Infra, t.releases[j].Infra); c != 0 {
			return c < 0
		}
		return CompareVersions(t.releases[i].SEI, t.releases[j].SEI) < 0
	})
	return t, nil
}

// Releases lists the table, ordered by Infra version.
func (t *VersionTable) Releases() []Release { return append([]Release(nil), t.releases...) }

// ByHash reverses an external-page asset hash.
func (t *VersionTable) ByHash(h string) (Release, bool) {
	r, ok := t.byHash[strings.ToLower(h)]
	return r, ok
}

// ByInfra returns the release shipping exactly this Infra version (the newest SEI when several do).
func (t *VersionTable) ByInfra(infra string) (Release, bool) {
	var out Release
	found := false
	for _, r := range t.releases {
		if r.Infra == infra {
			out, found = r, true
		}
	}
	return out, found
}

// LineForInfra names the SEI line (MAJOR.MINOR) an unknown Infra version most likely belongs to: the
// line of the newest known release whose Infra is not newer. ok is false below the oldest known.
func (t *VersionTable) LineForInfra(infra string) (line string, ok bool) {
	if !isVersion(infra) {
		return "", false
	}
	for i := len(t.releases) - 1; i >= 0; i-- {
		if CompareVersions(t.releases[i].Infra, infra) <= 0 {
			return MajorMinor(t.releases[i].SEI), true
		}
	}
	return "", false
}

// MajorMinor cuts a version to its first two parts.
func MajorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// CompareVersions compares dotted numeric versions part by part (missing parts are 0; a
// non-numeric part compares as text after the numbers). It returns -1, 0 or 1.
func CompareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	n := max(len(pa), len(pb))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		xi, errx := strconv.Atoi(orZero(x))
		yi, erry := strconv.Atoi(orZero(y))
		switch {
		case errx == nil && erry == nil:
			if xi != yi {
				if xi < yi {
					return -1
				}
				return 1
			}
		case errx == nil:
			return -1
		case erry == nil:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return 0
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// IsVersion reports a dotted numeric version such as 4.1.5 or 1.466.
func IsVersion(s string) bool { return isVersion(s) }
