package desired

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Drift levels returned by Classify.
const (
	LevelNone    = "none"
	LevelPatch   = "patch"
	LevelMinor   = "minor"
	LevelMajor   = "major"
	LevelAhead   = "ahead"
	LevelUnknown = "unknown"
)

// Version is a parsed SEI, SIP or module version: three numeric parts (MAJOR.MINOR.PATCH), an
// optional fourth (SUPER builds such as 4.0.12.15), an optional pre-release (RC, beta, ...) that
// sorts before its release, and an optional suffix that does not take part in comparisons.
type Version struct {
	Major, Minor, Patch uint64
	// Rev is the fourth part; HasRev tells 4.0.12 from 4.0.12.0 for String, they compare equal.
	Rev    uint64
	HasRev bool
	// Pre is the pre-release as written ("RC1", "rc.1", "beta2"); empty for a release.
	Pre string
	// Meta is a suffix ignored by Compare: "+build" metadata, or a "-" suffix that is not a
	// pre-release, such as an image variant ("5.0.3-php8.2") or the Infra version SEI appends to its
	// assets ("4.1.5-2.29.0").
	Meta string
}

type preToken struct {
	num   uint64
	str   string
	isNum bool
}

// preRank orders the pre-release words; anything else after a known word compares semver-style.
var preRank = map[string]int{"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4}

// maxVersionLen bounds the input: versions come from Git and from SEI pages, and nothing real is
// longer than a few dozen bytes.
const maxVersionLen = 128

var errEmptyVersion = errors.New("empty version")

// Parse reads a version such as "4.1.5", "v5.0.3", "4.0.12.15", "5.0.0-RC1", "5.0.0 RC2" or
// "5.0.0-rc.1". It rejects anything it cannot compare reliably (two parts, five parts, garbage)
// rather than guess, so a drift computed from it is never wrong, only "unknown".
func Parse(s string) (Version, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Version{}, errEmptyVersion
	}
	if len(s) > maxVersionLen {
		return Version{}, fmt.Errorf("version %.20q...: longer than %d bytes", in, maxVersionLen)
	}
	if (s[0] == 'v' || s[0] == 'V') && len(s) > 1 && isDigit(s[1]) {
		s = s[1:]
	}
	var parts []uint64
	i := 0
	for {
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i {
			return Version{}, fmt.Errorf("version %q: expected a number at byte %d", in, i)
		}
		n, err := strconv.ParseUint(s[i:j], 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("version %q: part %q out of range", in, s[i:j])
		}
		parts = append(parts, n)
		i = j
		// A dot continues the numeric core only when a digit follows: "5.0.0.RC1" is 5.0.0 + RC1.
		if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			i++
			continue
		}
		break
	}
	if len(parts) < 3 || len(parts) > 4 {
		return Version{}, fmt.Errorf("version %q: want 3 or 4 numeric parts (MAJOR.MINOR.PATCH[.BUILD]), got %d", in, len(parts))
	}
	v := Version{Major: parts[0], Minor: parts[1], Patch: parts[2]}
	if len(parts) == 4 {
		v.Rev, v.HasRev = parts[3], true
	}
	if err := v.parseSuffix(s[i:]); err != nil {
		return Version{}, fmt.Errorf("version %q: %w", in, err)
	}
	return v, nil
}

func (v *Version) parseSuffix(rest string) error {
	if rest == "" {
		return nil
	}
	if rest[0] == '+' {
		if !validSuffix(rest[1:], true) {
			return fmt.Errorf("invalid build metadata %q", rest[1:])
		}
		v.Meta = rest[1:]
		return nil
	}
	dash := rest[0] == '-'
	body := rest
	switch rest[0] {
	case '-', '_', '.':
		body = rest[1:]
	case ' ':
		body = strings.TrimLeft(rest, " ")
	}
	pre, meta, hasMeta := strings.Cut(body, "+")
	if isPreRelease(pre) {
		if !validSuffix(pre, false) || (hasMeta && !validSuffix(meta, true)) {
			return fmt.Errorf("invalid pre-release %q", body)
		}
		v.Pre, v.Meta = pre, meta
		return nil
	}
	// Only "-" introduces a suffix that is ignored; "4.1.5 foo" or "4.1.5foo" is not a version.
	if !dash || !validSuffix(body, true) {
		return fmt.Errorf("unexpected suffix %q (want -RCn, -beta, +build or -variant)", rest)
	}
	v.Meta = body
	return nil
}

func validSuffix(s string, allowPlus bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c), isLetter(c), c == '.', c == '-', c == '_':
		case c == '+' && allowPlus:
		default:
			return false
		}
	}
	return true
}

func isPreRelease(s string) bool {
	j := 0
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	_, ok := preRank[strings.ToLower(s[:j])]
	return ok
}

// tokenizePre splits "RC1", "rc.1" and "rc-1" alike into [rc 1], so spelling does not change order.
func tokenizePre(s string) []preToken {
	var toks []preToken
	s = strings.ToLower(s)
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			n, err := strconv.ParseUint(s[i:j], 10, 64)
			if err != nil {
				toks = append(toks, preToken{str: s[i:j]})
			} else {
				toks = append(toks, preToken{num: n, isNum: true})
			}
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			toks = append(toks, preToken{str: s[i:j]})
			i = j
		default:
			i++
		}
	}
	return toks
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer than o. A missing fourth
// part is 0; a pre-release is older than its release; Meta is ignored.
func (v Version) Compare(o Version) int {
	for _, p := range [...][2]uint64{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}, {v.Rev, o.Rev}} {
		if p[0] != p[1] {
			if p[0] < p[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.Pre == "" && o.Pre == "":
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	}
	a, b := tokenizePre(v.Pre), tokenizePre(o.Pre)
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareToken(a[i], b[i], i == 0); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

func compareToken(a, b preToken, first bool) int {
	switch {
	case a.isNum && b.isNum:
		if a.num == b.num {
			return 0
		}
		if a.num < b.num {
			return -1
		}
		return 1
	case a.isNum:
		return -1
	case b.isNum:
		return 1
	}
	if first {
		ra, oka := preRank[a.str]
		rb, okb := preRank[b.str]
		if oka && okb && ra != rb {
			return cmpInt(ra, rb)
		}
	}
	return strings.Compare(a.str, b.str)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String renders the version canonically: no "v", "-" before a pre-release, "+" before Meta.
func (v Version) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(v.Major, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Minor, 10))
	b.WriteByte('.')
	b.WriteString(strconv.FormatUint(v.Patch, 10))
	if v.HasRev {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(v.Rev, 10))
	}
	if v.Pre != "" {
		b.WriteByte('-')
		b.WriteString(v.Pre)
	}
	if v.Meta != "" {
		b.WriteByte('+')
		b.WriteString(v.Meta)
	}
	return b.String()
}

// Classify compares an observed version with a desired one and returns the drift level, by the
// highest part that differs: LevelNone, LevelPatch (third or fourth part, or only the pre-release),
// LevelMinor, LevelMajor, LevelAhead (observed newer than desired), or LevelUnknown when either side
// is empty or unparseable.
func Classify(observed, desired string) string {
	o, err := Parse(observed)
	if err != nil {
		return LevelUnknown
	}
	d, err := Parse(desired)
	if err != nil {
		return LevelUnknown
	}
	return ClassifyVersions(o, d)
}

// ClassifyVersions is Classify for already parsed versions.
func ClassifyVersions(observed, desired Version) string {
	switch c := observed.Compare(desired); {
	case c == 0:
		return LevelNone
	case c > 0:
		return LevelAhead
	case observed.Major != desired.Major:
		return LevelMajor
	case observed.Minor != desired.Minor:
		return LevelMinor
	}
	return LevelPatch
}
