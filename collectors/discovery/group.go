package discovery

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// group is one entry of a Prometheus file_sd / http_sd document.
type group struct {
	Targets []string          `yaml:"targets" json:"targets"`
	Labels  map[string]string `yaml:"labels" json:"labels"`
}

// Labels with a meaning for vigia; every other label (except __meta_* and other __ labels) becomes
// a custom label of the instance.
const (
	labelName        = "name"
	labelInstance    = "instance"
	labelOwner       = "owner"
	labelEnvironment = "environment"
	labelEnv         = "env"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// parseGroups reads a file_sd/http_sd document (YAML or JSON) and returns its targets, or every
// problem found with its line.
func parseGroups(source string, data []byte) ([]probe.Target, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", source, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, nil // an empty file is an empty list
	}
	doc := root.Content[0]
	if doc.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: expected a list of {targets: [...], labels: {...}} groups", source, doc.Line)
	}
	var problems []string
	var out []probe.Target
	seen := map[string]int{}
	for gi, gn := range doc.Content {
		var g group
		if err := gn.Decode(&g); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: [%d]: %s", source, gn.Line, gi, strings.TrimPrefix(err.Error(), "yaml: ")))
			continue
		}
		for k := range keys(gn) {
			if k != "targets" && k != "labels" {
				problems = append(problems, fmt.Sprintf("%s:%d: [%d].%s: unknown field (use targets and labels)", source, gn.Line, gi, k))
			}
		}
		tline := lineOf(gn, "targets")
		for ti, raw := range g.Targets {
			t, err := toTarget(raw, g.Labels, len(g.Targets) > 1)
			line := tline
			if tn := child(gn, "targets"); tn != nil && ti < len(tn.Content) {
				line = tn.Content[ti].Line
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: [%d].targets[%d]: %v", source, line, gi, ti, err))
				continue
			}
			if first, dup := seen[t.Name]; dup {
				problems = append(problems, fmt.Sprintf("%s:%d: [%d].targets[%d]: duplicate instance name %q (first at line %d)", source, line, gi, ti, t.Name, first))
				continue
			}
			seen[t.Name] = line
			t.Source = source
			out = append(out, t)
		}
	}
	if len(problems) > 0 {
		return nil, &ParseError{Problems: problems}
	}
	return out, nil
}

// ParseError lists every problem of one source.
type ParseError struct{ Problems []string }

func (e *ParseError) Error() string { return strings.Join(e.Problems, "; ") }

// toTarget turns one target string plus its group labels into a probe.Target. The instance name
// comes from the `name` (or `instance`) label when the group has one target, otherwise from the
// URL.
func toTarget(raw string, labels map[string]string, shared bool) (probe.Target, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return probe.Target{}, fmt.Errorf("%q is not a URL with a host", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return probe.Target{}, fmt.Errorf("scheme must be http or https")
	}
	if u.User != nil {
		return probe.Target{}, fmt.Errorf("must not carry credentials")
	}
	t := probe.Target{URL: strings.TrimRight(raw, "/"), Labels: map[string]string{}}
	for k, v := range labels {
		switch {
		case strings.HasPrefix(k, "__"):
		case k == labelOwner:
			t.Owner = v
		case k == labelEnvironment || k == labelEnv:
			t.Environment = v
		case k == labelName || k == labelInstance:
			if !shared {
				t.Name = v
			}
		default:
			t.Labels[k] = v
		}
	}
	if t.Name == "" {
		t.Name = nameFromURL(u)
	}
	if !nameRE.MatchString(t.Name) {
		return probe.Target{}, fmt.Errorf("instance name %q may only contain letters, digits, '.', '_' and '-'", t.Name)
	}
	if len(t.Labels) == 0 {
		t.Labels = nil
	}
	return t, nil
}

// nameFromURL makes "sei.orgao.gov.br" or "127.0.0.1-8480-orgao-0001" from a URL.
func nameFromURL(u *url.URL) string {
	s := u.Host
	if p := strings.Trim(u.Path, "/"); p != "" {
		s += "-" + p
	}
	s = strings.NewReplacer(":", "-", "/", "-").Replace(s)
	return s
}

func keys(n *yaml.Node) map[string]bool {
	out := map[string]bool{}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			out[n.Content[i].Value] = true
		}
	}
	return out
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func lineOf(n *yaml.Node, key string) int {
	if c := child(n, key); c != nil {
		return c.Line
	}
	return n.Line
}
