package esship

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/internal/events/ecs"
)

func client(t *testing.T, url string) *ClientOptions {
	t.Helper()
	return &ClientOptions{Addresses: []string{url}, APIKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="}
}

func mustClient(t *testing.T, o *ClientOptions) *Shipper {
	t.Helper()
	es, err := NewClient(*o)
	if err != nil {
		t.Fatal(err)
	}
	return &Shipper{es: es}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func subset(t *testing.T, what string, got, allowed []string) {
	t.Helper()
	for _, k := range got {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: key %q is not in Elasticsearch 8's documented request body (%v)", what, k, allowed)
		}
	}
}

// Field types of Elasticsearch 8's mapping reference.
var esFieldTypes = []string{"keyword", "constant_keyword", "wildcard", "text", "match_only_text", "date", "date_nanos",
	"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long", "boolean",
	"ip", "object", "flattened", "nested", "geo_point"}

func checkProperties(t *testing.T, prefix string, props map[string]any) int {
	t.Helper()
	n := 0
	for name, v := range props {
		p, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s%s: mapping is not an object", prefix, name)
			continue
		}
		if sub, ok := p["properties"].(map[string]any); ok {
			n += checkProperties(t, prefix+name+".", sub)
			continue
		}
		typ, _ := p["type"].(string)
		if !slices.Contains(esFieldTypes, typ) {
			t.Errorf("%s%s: type %q is not an Elasticsearch field type", prefix, name, typ)
		}
		subset(t, prefix+name, keys(p), []string{"type", "ignore_above", "format", "index", "doc_values"})
		n++
	}
	return n
}

// checkTemplate validates a PUT _index_template body against Elasticsearch 8's documentation.
func checkTemplate(t *testing.T, body []byte, wantPolicy bool, namespace string) {
	t.Helper()
	var tpl map[string]any
	if err := json.Unmarshal(body, &tpl); err != nil {
		t.Fatalf("template body is not JSON: %v", err)
	}
	subset(t, "index template", keys(tpl), []string{"index_patterns", "template", "composed_of", "priority", "version",
		"_meta", "allow_auto_create", "data_stream", "deprecated", "ignore_missing_component_templates"})
	if ds, ok := tpl["data_stream"].(map[string]any); !ok || len(ds) != 0 {
		t.Errorf("data_stream = %v, want {} so matching names become data streams", tpl["data_stream"])
	}
	// Elasticsearch ships logs-*-* at priority 100; equal priorities on overlapping patterns fail.
	if p, _ := tpl["priority"].(float64); p <= 100 {
		t.Errorf("priority %v must exceed the built-in logs template's 100", tpl["priority"])
	}
	var patterns []string
	for _, p := range tpl["index_patterns"].([]any) {
		patterns = append(patterns, p.(string))
	}
	for _, d := range ecs.Datasets {
		name := ecs.DataStream(d, namespace)
		matched := false
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				matched = true
			}
		}
		if !matched {
			t.Errorf("data stream %s matches no index pattern of %v", name, patterns)
		}
	}
	inner := tpl["template"].(map[string]any)
	subset(t, "template.template", keys(inner), []string{"settings", "mappings", "aliases", "lifecycle"})
	settings := inner["settings"].(map[string]any)
	if got := settings["index.lifecycle.name"]; wantPolicy && got != PolicyName || !wantPolicy && got != nil {
		t.Errorf("index.lifecycle.name = %v (policy installed: %v)", got, wantPolicy)
	}
	m := inner["mappings"].(map[string]any)
	subset(t, "mappings", keys(m), []string{"properties", "dynamic_templates", "dynamic", "_source", "date_detection", "numeric_detection"})
	props := m["properties"].(map[string]any)
	// A data stream needs @timestamp mapped as date or date_nanos.
	if ts := props["@timestamp"].(map[string]any); ts["type"] != "date" && ts["type"] != "date_nanos" {
		t.Errorf("@timestamp mapped as %v", ts["type"])
	}
	if n := checkProperties(t, "", props); n < 50 {
		t.Errorf("only %d explicit fields mapped", n)
	}
	for _, dt := range m["dynamic_templates"].([]any) {
		one := dt.(map[string]any)
		if len(one) != 1 {
			t.Errorf("dynamic template %v: must be an object with one named template", one)
		}
		for name, v := range one {
			body := v.(map[string]any)
			subset(t, "dynamic template "+name, keys(body), []string{"match", "unmatch", "path_match", "path_unmatch",
				"match_mapping_type", "unmatch_mapping_type", "match_pattern", "mapping", "runtime"})
			mp := body["mapping"].(map[string]any)
			if !slices.Contains(esFieldTypes, mp["type"].(string)) {
				t.Errorf("dynamic template %s maps to %v", name, mp["type"])
			}
		}
	}
}

func checkPolicy(t *testing.T, body []byte, days string) {
	t.Helper()
	var p struct {
		Policy map[string]any `json:"policy"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Policy == nil {
		t.Fatalf("policy body %s: %v", body, err)
	}
	subset(t, "policy", keys(p.Policy), []string{"phases", "_meta"})
	phases := p.Policy["phases"].(map[string]any)
	subset(t, "phases", keys(phases), []string{"hot", "warm", "cold", "frozen", "delete"})
	hot := phases["hot"].(map[string]any)
	rollover := hot["actions"].(map[string]any)["rollover"].(map[string]any)
	subset(t, "rollover", keys(rollover), []string{"max_age", "max_docs", "max_size", "max_primary_shard_size",
		"max_primary_shard_docs", "min_age", "min_docs", "min_size", "min_primary_shard_size", "min_primary_shard_docs"})
	del := phases["delete"].(map[string]any)
	if del["min_age"] != days {
		t.Errorf("delete.min_age = %v, want %s", del["min_age"], days)
	}
	if a, ok := del["actions"].(map[string]any)["delete"].(map[string]any); !ok || len(a) != 0 {
		t.Errorf("delete phase actions: %v", del["actions"])
	}
}

func TestBootstrapRequestsMatchElasticsearch8(t *testing.T) {
	e := newES8(t)
	s := mustClient(t, client(t, e.srv.URL))
	rep, err := Bootstrap(context.Background(), s.es, "prod", 45)
	if err != nil {
		t.Fatal(err)
	}
	if rep.StoreVersion != "8.15.3" || len(rep.Missing) != 0 || len(rep.Installed) != 5 {
		t.Fatalf("report %+v", rep)
	}
	reqs := e.recordedRequests()
	var got []string
	for _, r := range reqs {
		got = append(got, r.Method+" "+r.Path)
		if a := r.Header.Get("Authorization"); !strings.HasPrefix(strings.ToLower(a), "apikey ") { // the scheme is case-insensitive
			t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, a)
		}
	}
	want := []string{"GET /", "PUT /_ilm/policy/vigia-events", "PUT /_index_template/logs-vigia",
		"PUT /_data_stream/logs-vigia.probe-prod", "PUT /_data_stream/logs-vigia.alert-prod", "PUT /_data_stream/logs-vigia.log-prod"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkPolicy(t, reqs[1].Body, "45d")
	checkTemplate(t, reqs[2].Body, true, "prod")
}

func TestBootstrapIsIdempotent(t *testing.T) {
	e := newES8(t)
	s := mustClient(t, client(t, e.srv.URL))
	for i := 0; i < 2; i++ {
		rep, err := Bootstrap(context.Background(), s.es, "default", 30)
		if err != nil || len(rep.Missing) != 0 || len(rep.Installed) != 5 {
			t.Fatalf("run %d: %+v %v", i+1, rep, err)
		}
	}
}

func TestBootstrapWithoutILMPrivilegeSkipsThePolicy(t *testing.T) {
	e := newES8(t)
	e.deny["/_ilm/"] = denial{403, "security_exception.json"}
	s := mustClient(t, client(t, e.srv.URL))
	rep, err := Bootstrap(context.Background(), s.es, "default", 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Step != "ilm_policy" || rep.Missing[0].Status != 403 ||
		!strings.Contains(rep.Missing[0].Reason, "security_exception") {
		t.Fatalf("missing %+v", rep.Missing)
	}
	if !strings.Contains(rep.Effects(), "never deleted") {
		t.Errorf("effects %q", rep.Effects())
	}
	reqs := e.recordedRequests()
	checkTemplate(t, reqs[2].Body, false, "default")
}

func TestBootstrapErrors(t *testing.T) {
	e := newES8(t)
	e.deny["/"] = denial{401, "unauthenticated.json"}
	s := mustClient(t, client(t, e.srv.URL))
	if _, err := Bootstrap(context.Background(), s.es, "default", 30); !errors.Is(err, errUnavailable) {
		t.Errorf("rejected credentials: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s = mustClient(t, &ClientOptions{Addresses: []string{"http://u:topsecret@" + addr}})
	_, err = Bootstrap(context.Background(), s.es, "default", 30)
	if !errors.Is(err, errUnavailable) {
		t.Fatalf("closed port: %v", err)
	}
	if strings.Contains(redact(err.Error()), "topsecret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
