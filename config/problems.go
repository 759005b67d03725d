package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config, located as precisely as the YAML allows.
type Problem struct {
	File string
	Line int
	Path string
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems collects every problem found, so an operator fixes them all in one go.
type Problems struct {
	list []Problem
}

// Addf records a problem at a field path such as "fleet.instances[3].url". Messages never contain
// secret values: callers format names and constraints, not what the operator typed into a secret.
func (p *Problems) Addf(path, format string, args ...any) {
	p.list = append(p.list, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *Problems) addAt(line int, path, format string, args ...any) {
	p.list = append(p.list, Problem{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *Problems) paths() map[string]bool {
	out := make(map[string]bool, len(p.list))
	for _, pr := range p.list {
		if pr.Path != "" {
			out[pr.Path] = true
		}
	}
	return out
}

// Len is the number of problems so far.
func (p *Problems) Len() int { return len(p.list) }

// Error is returned by Load when the config is not usable; it lists every problem.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in config:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// finish resolves lines from the path index and sorts by line.
func (p *Problems) finish(file string, lines map[string]int) *Error {
	if len(p.list) == 0 {
		return nil
	}
	out := make([]Problem, len(p.list))
	for i, pr := range p.list {
		pr.File = file
		if pr.Line == 0 {
			pr.Line = lookupLine(lines, pr.Path)
		}
		out[i] = pr
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return &Error{Problems: out}
}

// lookupLine finds the line of path, or of its nearest ancestor present in the file (a missing
// field is reported where its parent is).
func lookupLine(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return lines[""]
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }
