package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads, expands, strictly decodes, defaults and validates the config at path. On any problem
// it returns an *Error listing all of them, each with file, line and field path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse is Load on bytes; file names the source in messages and lookup resolves ${VAR}.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Problems: []Problem{{File: file, Line: yamlErrorLine(err), Msg: cleanYAMLError(err)}}}
	}
	cfg := &Config{File: file}
	p := &Problems{}
	lines := map[string]int{"": 1}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		doc := root.Content[0]
		expandEnv(doc, "", lookup, p)
		checkShape(doc, reflect.TypeOf(cfg).Elem(), "", lines, p)
		shaped := p.Len()
		// Decode even when the shape is wrong: what decodes is still validated, so an operator
		// sees every mistake at once and not one per attempt.
		if err := doc.Decode(cfg); err != nil && shaped == 0 {
			addDecodeError(err, p)
		}
	}
	malformed := p.paths()
	cfg.setDefaults()
	v := &Problems{}
	cfg.Validate("", v)
	for _, pr := range v.list {
		if !underAny(pr.Path, malformed) {
			p.list = append(p.list, pr)
		}
	}
	if e := p.finish(file, lines); e != nil {
		return nil, e
	}
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default} in scalar values; $$ stands for a literal $.
// Bare $VAR is left alone because passwords often contain dollar signs.
func expandEnv(n *yaml.Node, path string, lookup func(string) (string, bool), p *Problems) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], join(path, n.Content[i].Value), lookup, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(c, index(path, i), lookup, p)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		changed := false
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			if m == "$$" {
				changed = true
				return "$"
			}
			sub := envRef.FindStringSubmatch(m)
			if v, ok := lookup(sub[1]); ok && v != "" {
				changed = true
				return v
			}
			if sub[2] != "" {
				changed = true
				return sub[3]
			}
			p.addAt(n.Line, path, "environment variable %s is not set", sub[1])
			return m
		})
		if changed && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = "" // let the expanded value resolve as what it now is (a number, a duration...)
		}
	}
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	timeType        = reflect.TypeOf(time.Time{})
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// checkShape walks the document against the Go type: unknown keys, wrong kinds and bad durations
// become problems with their line, and every path gets its line recorded for later validation.
func checkShape(n *yaml.Node, t reflect.Type, path string, lines map[string]int, p *Problems) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	lines[path] = n.Line
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			p.addAt(n.Line, path, "expected a duration like 30s or 5m")
			return
		}
		if _, err := time.ParseDuration(n.Value); err != nil {
			if _, numErr := strconv.Atoi(n.Value); numErr == nil {
				p.addAt(n.Line, path, "duration %q has no unit: write %ss or %sm", n.Value, n.Value, n.Value)
			} else {
				p.addAt(n.Line, path, "invalid duration %q: use a number with a unit, like 30s, 5m or 1h", n.Value)
			}
		}
		return
	case t == timeType:
		if n.Kind != yaml.ScalarNode {
			p.addAt(n.Line, path, "expected a time in RFC 3339 form, like 2026-01-31T22:00:00-03:00")
			return
		}
		if _, err := time.Parse(time.RFC3339, n.Value); err != nil {
			p.addAt(n.Line, path, "invalid time %q: use RFC 3339, like 2026-01-31T22:00:00-03:00", n.Value)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			p.addAt(n.Line, path, "expected a mapping of fields, got %s", kindName(n))
			return
		}
		fields := structFields(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue
			}
			fp := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				lines[fp] = k.Line
				p.addAt(k.Line, fp, "unknown field%s", suggest(k.Value, fields))
				continue
			}
			if first, dup := seen[k.Value]; dup {
				p.addAt(k.Line, fp, "field set twice (first at line %d)", first)
			}
			seen[k.Value] = k.Line
			checkShape(v, ft, fp, lines, p)
			lines[fp] = k.Line // a problem with a value is reported on its key's line
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			p.addAt(n.Line, path, "expected a mapping, got %s", kindName(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			fp := join(path, k.Value)
			checkShape(v, t.Elem(), fp, lines, p)
			lines[fp] = k.Line
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.addAt(n.Line, path, "expected a list, got %s", kindName(n))
			return
		}
		for i, c := range n.Content {
			checkShape(c, t.Elem(), index(path, i), lines, p)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			p.addAt(n.Line, path, "expected a string, got %s", kindName(n))
		}
	case reflect.Bool, reflect.Int, reflect.Int64, reflect.Float64, reflect.Int32, reflect.Uint, reflect.Uint64:
		if n.Kind != yaml.ScalarNode {
			p.addAt(n.Line, path, "expected a %s, got %s", kindWord(t), kindName(n))
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			p.addAt(n.Line, path, "expected a %s, got %q", kindWord(t), n.Value)
		}
	}
}

func kindWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Float64:
		return "number"
	default:
		return "whole number"
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// structFields maps yaml keys to field types, following ",inline" embeds.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			for k, v := range structFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the closest known field, because most unknown fields are typos.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for k := range fields {
		if d := levenshtein(key, k); d < bestD || (d == bestD && best != "" && k < best) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func yamlErrorLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func cleanYAMLError(err error) string {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return "YAML syntax: " + m[2]
	}
	return "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")
}

// underAny reports whether path is one of paths or below one of them (a field already reported
// as malformed needs no second, confusing message about its zero value).
func underAny(path string, paths map[string]bool) bool {
	for path != "" {
		if paths[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return false
		}
		path = path[:i]
	}
	return false
}

func addDecodeError(err error, p *Problems) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			if m := yamlLineRE.FindStringSubmatch(e); m != nil {
				n, _ := strconv.Atoi(m[1])
				p.addAt(n, "", "%s", m[2])
				continue
			}
			p.Addf("", "%s", e)
		}
		return
	}
	p.Addf("", "%s", err.Error())
}
