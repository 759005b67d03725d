package desired

import (
	"fmt"
	"path"
	"strings"
)

// glob matches slash-separated paths relative to the repository root. Each segment is a path.Match
// pattern; a "**" segment matches zero or more whole segments, which filepath.Glob cannot do.
type glob struct {
	segs []string
	// base is the leading run of literal segments: the only directory that has to be walked.
	base string
}

func compileGlob(pattern string) (glob, error) {
	p := strings.TrimPrefix(path.Clean(strings.ReplaceAll(pattern, "\\", "/")), "/")
	if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return glob{}, fmt.Errorf("files pattern %q: want a path relative to the repository root, such as instances/*/values.yaml", pattern)
	}
	g := glob{segs: strings.Split(p, "/")}
	literal := true
	var base []string
	for _, s := range g.segs {
		if s != "**" {
			if _, err := path.Match(s, ""); err != nil {
				return glob{}, fmt.Errorf("files pattern %q: segment %q: %w", pattern, s, err)
			}
		}
		if literal && !hasMeta(s) && s != "**" {
			base = append(base, s)
		} else {
			literal = false
		}
	}
	// The last segment names files, so it never belongs to the directory to walk.
	if len(base) == len(g.segs) {
		base = base[:len(base)-1]
	}
	g.base = strings.Join(base, "/")
	return g, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// match reports whether the slash-separated relative path name matches the pattern.
func (g glob) match(name string) bool {
	return matchSegs(g.segs, strings.Split(name, "/"))
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			// Collapse consecutive "**" so the recursion stays linear in practice.
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func (g glob) String() string { return strings.Join(g.segs, "/") }
