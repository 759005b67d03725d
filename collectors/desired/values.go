package desired

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fields are dotted paths (Helm values style) inside each values file. A segment that is a number
// indexes a list; a key that itself contains dots is found too ("a.b.c" matches {a: {"b.c": x}}).
type Fields struct {
	Instance string // default "instance.name"; when absent from a file, the file's parent directory name
	SEI      string // default "sei.version"
	SIP      string // default "sip.version"
	// Modules points at a map {mod-sei-pen: 4.0.3} (values may also be maps with a version key) or a
	// list [{name: mod-sei-pen, version: 4.0.3}].
	Modules string // default "sei.modules"
}

func (f Fields) withDefaults() Fields {
	if f.Instance == "" {
		f.Instance = "instance.name"
	}
	if f.SEI == "" {
		f.SEI = "sei.version"
	}
	if f.SIP == "" {
		f.SIP = "sip.version"
	}
	if f.Modules == "" {
		f.Modules = "sei.modules"
	}
	return f
}

func (f Fields) validate() error {
	for _, p := range [...][2]string{{"instance", f.Instance}, {"sei", f.SEI}, {"sip", f.SIP}, {"modules", f.Modules}} {
		for _, seg := range strings.Split(p[1], ".") {
			if seg == "" {
				return fmt.Errorf("field %s path %q has an empty segment", p[0], p[1])
			}
		}
	}
	return nil
}

// Versions are the desired versions of one instance. An empty string means "not stated".
type Versions struct {
	SEI     string
	SIP     string
	Modules map[string]string
}

func (v Versions) clone() Versions {
	v.Modules = maps.Clone(v.Modules)
	return v
}

func (v Versions) equal(o Versions) bool {
	return v.SEI == o.SEI && v.SIP == o.SIP && maps.Equal(v.Modules, o.Modules)
}

// FileError is a values file that could not be used, with the line of the problem when known.
type FileError struct {
	Path string // relative to the repository root
	Line int    // 1-based; 0 when the problem has no line
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseValues reads one values file. The instance name comes from Fields.Instance or, when the file
// does not have it, from the parent directory (from the file name for files at the root).
func parseValues(rel string, data []byte, f Fields) (string, Versions, error) {
	fail := func(line int, format string, args ...any) (string, Versions, error) {
		return "", Versions{}, &FileError{Path: rel, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return fail(line, "invalid YAML: %s", msg)
	}
	if len(doc.Content) == 0 {
		return fail(0, "empty values file")
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, "top level is a %s, want a mapping", kindName(root))
	}

	name := ""
	if n := lookup(root, f.Instance); n != nil {
		s, err := scalar(n)
		if err != nil || s == "" {
			return fail(n.Line, "%s: want a non-empty instance name", f.Instance)
		}
		name = s
	} else {
		dir := path.Dir(rel)
		if dir == "." {
			name = strings.TrimSuffix(path.Base(rel), path.Ext(rel))
		} else {
			name = path.Base(dir)
		}
	}

	var v Versions
	found := false
	for _, c := range [...]struct {
		field string
		dst   *string
	}{{f.SEI, &v.SEI}, {f.SIP, &v.SIP}} {
		n := lookup(root, c.field)
		if n == nil {
			continue
		}
		found = true
		s, err := scalar(n)
		if err != nil {
			return fail(n.Line, "%s: %v", c.field, err)
		}
		*c.dst = s
	}
	if n := lookup(root, f.Modules); n != nil {
		found = true
		mods, err := parseModules(n, f.Modules)
		if err != nil {
			return "", Versions{}, &FileError{Path: rel, Line: err.Line, Msg: err.Msg}
		}
		v.Modules = mods
	}
	if !found {
		return fail(0, "none of the fields %s, %s, %s is present: check desired.git.fields", f.SEI, f.SIP, f.Modules)
	}
	return name, v, nil
}

func parseModules(n *yaml.Node, field string) (map[string]string, *FileError) {
	mods := map[string]string{}
	add := func(name string, line int, version string) *FileError {
		if name == "" {
			return &FileError{Line: line, Msg: field + ": module without a name"}
		}
		if _, dup := mods[name]; dup {
			return &FileError{Line: line, Msg: fmt.Sprintf("%s: module %q listed twice", field, name)}
		}
		mods[name] = version
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], resolve(n.Content[i+1])
			if k.Value == "<<" {
				continue
			}
			ver, err := moduleVersion(val)
			if err != nil {
				return nil, &FileError{Line: val.Line, Msg: fmt.Sprintf("%s.%s: %v", field, k.Value, err)}
			}
			if e := add(k.Value, k.Line, ver); e != nil {
				return nil, e
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			item = resolve(item)
			var name, ver string
			switch item.Kind {
			case yaml.ScalarNode:
				name = item.Value
			case yaml.MappingNode:
				nn := lookup(item, "name")
				if nn == nil {
					return nil, &FileError{Line: item.Line, Msg: fmt.Sprintf("%s[%d]: no name", field, i)}
				}
				var err error
				if name, err = scalar(nn); err != nil {
					return nil, &FileError{Line: nn.Line, Msg: fmt.Sprintf("%s[%d].name: %v", field, i, err)}
				}
				if ver, err = moduleVersion(item); err != nil {
					return nil, &FileError{Line: item.Line, Msg: fmt.Sprintf("%s[%d]: %v", field, i, err)}
				}
			default:
				return nil, &FileError{Line: item.Line, Msg: fmt.Sprintf("%s[%d]: want {name, version}, got a %s", field, i, kindName(item))}
			}
			if e := add(name, item.Line, ver); e != nil {
				return nil, e
			}
		}
	default:
		if isNull(n) {
			return nil, nil
		}
		return nil, &FileError{Line: n.Line, Msg: fmt.Sprintf("%s: want a map or a list of modules, got a %s", field, kindName(n))}
	}
	if len(mods) == 0 {
		return nil, nil
	}
	return mods, nil
}

// moduleVersion accepts "4.0.3", null (installed, version not pinned) or {version: 4.0.3}
// ({tag: ...} for image-style values).
func moduleVersion(n *yaml.Node) (string, error) {
	if n.Kind != yaml.MappingNode {
		return scalar(n)
	}
	for _, key := range [...]string{"version", "tag"} {
		if v := lookup(n, key); v != nil {
			return scalar(v)
		}
	}
	return "", nil
}

func scalar(n *yaml.Node) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a scalar, got a %s", kindName(n))
	}
	if isNull(n) {
		return "", nil
	}
	return strings.TrimSpace(n.Value), nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 32; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "document"
}

// lookup follows a dotted path; it returns nil when any segment is missing.
func lookup(n *yaml.Node, dotted string) *yaml.Node {
	return lookupSegs(resolve(n), strings.Split(dotted, "."), 0)
}

func lookupSegs(n *yaml.Node, segs []string, depth int) *yaml.Node {
	if len(segs) == 0 {
		return n
	}
	if depth > 64 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		// Longest key first, so a key with dots in it wins over nested maps only when it exists.
		for k := len(segs); k >= 1; k-- {
			if child := mapGet(n, strings.Join(segs[:k], "."), depth); child != nil {
				if r := lookupSegs(resolve(child), segs[k:], depth+1); r != nil {
					return r
				}
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(segs[0]); err == nil && i >= 0 && i < len(n.Content) {
			return lookupSegs(resolve(n.Content[i]), segs[1:], depth+1)
		}
	}
	return nil
}

// mapGet finds key in a mapping, then in its YAML merge keys (<<: *defaults), which Helm values use.
func mapGet(n *yaml.Node, key string, depth int) *yaml.Node {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == key && k.Kind == yaml.ScalarNode {
			return n.Content[i+1]
		}
		if k.Value == "<<" {
			merges = append(merges, resolve(n.Content[i+1]))
		}
	}
	if depth > 64 {
		return nil
	}
	for _, m := range merges {
		switch m.Kind {
		case yaml.MappingNode:
			if v := mapGet(m, key, depth+1); v != nil {
				return v
			}
		case yaml.SequenceNode:
			for _, e := range m.Content {
				if e = resolve(e); e.Kind == yaml.MappingNode {
					if v := mapGet(e, key, depth+1); v != nil {
						return v
					}
				}
			}
		}
	}
	return nil
}
