package desired

import "testing"

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"instances/*/values.yaml", "instances/mgi-prod/values.yaml", true},
		{"instances/*/values.yaml", "instances/values.yaml", false},
		{"instances/*/values.yaml", "instances/a/b/values.yaml", false},
		{"instances/*/values.yaml", "other/a/values.yaml", false},
		{"**/values.yaml", "values.yaml", true},
		{"**/values.yaml", "a/b/c/values.yaml", true},
		{"**/values.yaml", "a/b/c/values.yml", false},
		{"clusters/**/sei/*.yaml", "clusters/sei/x.yaml", true},
		{"clusters/**/sei/*.yaml", "clusters/aws/prod/sei/x.yaml", true},
		{"clusters/**/sei/*.yaml", "clusters/aws/prod/sip/x.yaml", false},
		{"clusters/**/**/sei/*.yaml", "clusters/a/sei/x.yaml", true},
		{"envs/prod-*/values-?.yaml", "envs/prod-mgi/values-a.yaml", true},
		{"./instances/*.yaml", "instances/a.yaml", true},
		{"instances/[a-c]*/values.yaml", "instances/dnit/values.yaml", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q): %v", tt.pattern, err)
		}
		if got := g.match(tt.name); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestGlobBase(t *testing.T) {
	for pattern, base := range map[string]string{
		"instances/*/values.yaml":   "instances",
		"a/b/values.yaml":           "a/b",
		"**/values.yaml":            "",
		"gitops/sei/**/values.yaml": "gitops/sei",
		"values.yaml":               "",
	} {
		g, err := compileGlob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if g.base != base {
			t.Errorf("base of %q = %q, want %q", pattern, g.base, base)
		}
	}
}

func TestGlobRejects(t *testing.T) {
	for _, p := range []string{"", "/", "..", "../x/*.yaml", "instances/[/values.yaml"} {
		if _, err := compileGlob(p); err == nil {
			t.Errorf("compileGlob(%q) accepted", p)
		}
	}
}
