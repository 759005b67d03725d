package desired

import (
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		observed, desired, want string
	}{
		// 3-part versions: the highest differing part decides.
		{"4.1.5", "4.1.5", LevelNone},
		{"4.1.4", "4.1.5", LevelPatch},
		{"4.0.12", "4.1.5", LevelMinor},
		{"3.1.7", "4.1.5", LevelMajor},
		{"4.1.6", "4.1.5", LevelAhead},
		{"5.0.0", "4.1.5", LevelAhead},
		{"4.1.5", "5.0.0-RC1", LevelMajor},
		{"10.0.0", "9.9.9", LevelAhead},  // numeric, not lexical
		{"4.9.0", "4.10.0", LevelMinor},  // numeric, not lexical
		{"v5.0.3", "5.0.3", LevelNone},   // "v" prefix
		{"5.0.3", "V5.0.3", LevelNone},   // "V" prefix
		{"  4.1.5 ", "4.1.5", LevelNone}, // surrounding space
		// 4-part SUPER builds: the fourth part counts as patch; missing means 0.
		{"4.0.12.15", "4.0.12.15", LevelNone},
		{"4.0.12.14", "4.0.12.15", LevelPatch},
		{"4.0.12", "4.0.12.15", LevelPatch},
		{"4.0.12.0", "4.0.12", LevelNone},
		{"4.0.12.16", "4.0.12.15", LevelAhead},
		{"4.0.11.20", "4.0.12.1", LevelPatch},
		{"4.0.12.15", "4.1.0", LevelMinor},
		{"3.1.7.2", "4.0.0.1", LevelMajor},
		// Release candidates and other pre-releases are older than their release.
		{"5.0.0-RC1", "5.0.0", LevelPatch},
		{"5.0.0", "5.0.0-RC1", LevelAhead},
		{"5.0.0 RC2", "5.0.0-RC1", LevelAhead},
		{"5.0.0-rc.1", "5.0.0-RC1", LevelNone}, // spelling does not matter
		{"5.0.0-RC1", "5.0.0-RC2", LevelPatch},
		{"5.0.0-rc.2", "5.0.0-rc.10", LevelPatch}, // numeric order inside the pre-release
		{"5.0.0-beta2", "5.0.0-rc1", LevelPatch},
		{"5.0.0-SNAPSHOT", "5.0.0-alpha", LevelPatch},
		{"5.0.0-RC3", "4.1.5", LevelAhead},
		{"5.0.0-RC1", "5.0.1", LevelPatch},
		{"5.0.0.RC1", "5.0.0", LevelPatch},
		// Suffixes that are not pre-releases do not change the comparison.
		{"4.1.5-2.29.0", "4.1.5", LevelNone}, // SEI asset suffix <SEI>-<Infra>
		{"5.0.3-php8.2", "5.0.3", LevelNone}, // image variant
		{"5.0.0+build.7", "5.0.0", LevelNone},
		// Unknown: empty or unparseable on either side.
		{"", "5.0.0", LevelUnknown},
		{"5.0.0", "", LevelUnknown},
		{"   ", "5.0.0", LevelUnknown},
		{"garbage", "5.0.0", LevelUnknown},
		{"5.0.0", "latest", LevelUnknown},
		{"5.0", "5.0.0", LevelUnknown},
		{"5", "5.0.0", LevelUnknown},
		{"5.0.0.1.2", "5.0.0", LevelUnknown},
		{"5..0", "5.0.0", LevelUnknown},
		{"5.0.0 banana", "5.0.0", LevelUnknown},
		{"5.0.0banana", "5.0.0", LevelUnknown},
		{"-1.0.0", "1.0.0", LevelUnknown},
		{"99999999999999999999.0.0", "1.0.0", LevelUnknown}, // overflows uint64
		{"5.0.0-", "5.0.0", LevelUnknown},
		{"5.0.0-rc1!", "5.0.0", LevelUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.observed+"_vs_"+tt.desired, func(t *testing.T) {
			if got := Classify(tt.observed, tt.desired); got != tt.want {
				t.Errorf("Classify(%q, %q) = %q, want %q", tt.observed, tt.desired, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		str  string
	}{
		{"4.1.5", Version{Major: 4, Minor: 1, Patch: 5}, "4.1.5"},
		{"v5.0.3", Version{Major: 5, Patch: 3}, "5.0.3"},
		{"4.0.12.15", Version{Major: 4, Patch: 12, Rev: 15, HasRev: true}, "4.0.12.15"},
		{"5.0.0-RC1", Version{Major: 5, Pre: "RC1"}, "5.0.0-RC1"},
		{"5.0.0 RC2", Version{Major: 5, Pre: "RC2"}, "5.0.0-RC2"},
		{"5.0.0-rc.1+b7", Version{Major: 5, Pre: "rc.1", Meta: "b7"}, "5.0.0-rc.1+b7"},
		{"4.1.5-2.29.0", Version{Major: 4, Minor: 1, Patch: 5, Meta: "2.29.0"}, "4.1.5+2.29.0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
		})
	}
}

func TestParseErrorsNameTheInput(t *testing.T) {
	_, err := Parse("5.0")
	if err == nil || err.Error() != `version "5.0": want 3 or 4 numeric parts (MAJOR.MINOR.PATCH[.BUILD]), got 2` {
		t.Fatalf("Parse(5.0) error = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"4.1.5", "v5.0.3", "4.0.12.15", "5.0.0-RC1", "5.0.0 RC2", "5.0.0-rc.1",
		"5.0.0.RC1", "4.1.5-2.29.0", "5.0.0+b", "5.0.0-beta.2+x", "1.2", "garbage", "", "5.0.0--x"} {
		f.Add(s, "5.0.0-rc.2")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := Parse(a)
		vb, errB := Parse(b)
		lvl := Classify(a, b)
		if errA != nil || errB != nil {
			if lvl != LevelUnknown {
				t.Fatalf("Classify(%q, %q) = %q with a parse error", a, b, lvl)
			}
		}
		if errA != nil {
			return
		}
		// The canonical form parses back to an equal version and is stable.
		back, err := Parse(va.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", a, va.String(), err)
		}
		if back.Compare(va) != 0 || back.String() != va.String() {
			t.Fatalf("round trip of %q: %q then %q", a, va.String(), back.String())
		}
		if va.Compare(va) != 0 || Classify(a, a) != LevelNone {
			t.Fatalf("%q is not equal to itself", a)
		}
		if errB != nil {
			return
		}
		if c1, c2 := va.Compare(vb), vb.Compare(va); c1 != -c2 {
			t.Fatalf("Compare(%q, %q) = %d but reverse = %d", a, b, c1, c2)
		}
		rev := Classify(b, a)
		switch {
		case lvl == LevelNone && rev != LevelNone,
			lvl == LevelAhead && (rev == LevelAhead || rev == LevelNone),
			lvl != LevelAhead && lvl != LevelNone && rev != LevelAhead:
			t.Fatalf("Classify(%q, %q) = %s but Classify(%q, %q) = %s", a, b, lvl, b, a, rev)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	for b.Loop() {
		_ = Classify("5.0.0-RC1", "4.0.12.15")
	}
}
