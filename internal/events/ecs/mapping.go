package ecs

import (
	"fmt"
	"strings"
)

// Mappings returns the "mappings" object of the index template: explicit properties for every
// field in Fields, and dynamic templates for the patterns (labels.*, sei.values.*, ...).
func Mappings() map[string]any {
	props := map[string]any{}
	var dynamic []any
	for _, f := range Fields {
		m := fieldMapping(f.Type)
		if f.Dynamic() {
			path := f.Name
			name := "vigia_" + strings.ReplaceAll(strings.TrimSuffix(path, ".*"), ".", "_")
			dynamic = append(dynamic, map[string]any{name: map[string]any{"path_match": path, "mapping": m}})
			continue
		}
		insert(props, strings.Split(f.Name, "."), m)
	}
	return map[string]any{"dynamic_templates": dynamic, "properties": props}
}

func fieldMapping(typ string) map[string]any {
	m := map[string]any{"type": typ}
	if typ == "keyword" {
		// ECS's bound: longer values are kept in _source but not indexed, instead of failing.
		m["ignore_above"] = 1024
	}
	return m
}

func insert(props map[string]any, path []string, leaf map[string]any) {
	if len(path) == 1 {
		props[path[0]] = leaf
		return
	}
	obj, ok := props[path[0]].(map[string]any)
	if !ok {
		obj = map[string]any{"properties": map[string]any{}}
		props[path[0]] = obj
	}
	insert(obj["properties"].(map[string]any), path[1:], leaf)
}

// Lookup returns the field that maps a concrete dotted path: the explicit field of that name, or
// the first pattern that covers it.
func Lookup(path string) (Field, bool) {
	for _, f := range Fields {
		if !f.Dynamic() && f.Name == path {
			return f, true
		}
	}
	for _, f := range Fields {
		if f.Dynamic() && strings.HasPrefix(path, strings.TrimSuffix(f.Name, "*")) {
			return f, true
		}
	}
	return Field{}, false
}

// MarkdownTable renders Fields as the table in docs/events.md.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Field | Type | In | Meaning | Example |\n|---|---|---|---|---|\n")
	for _, f := range Fields {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | `%s` |\n", f.Name, f.Type, f.In,
			strings.ReplaceAll(f.Description, "|", "\\|"), strings.ReplaceAll(f.Example, "|", "\\|"))
	}
	return b.String()
}
