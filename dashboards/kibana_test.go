package dashboards_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/dashboards"
	"github.com/vigia-sei/vigia/internal/events/ecs"
	"github.com/vigia-sei/vigia/internal/events/esship"
)

type savedObject struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
	References []struct {
		Name, Type, ID string
	} `json:"references"`
	CoreMigrationVersion string            `json:"coreMigrationVersion"`
	MigrationVersion     map[string]string `json:"migrationVersion"`
}

func readSavedObjects(t *testing.T) []savedObject {
	t.Helper()
	b, err := dashboards.Read(dashboards.KibanaFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []savedObject
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var o savedObject
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("%s:%d: %v", dashboards.KibanaFile, line, err)
		}
		out = append(out, o)
	}
	return out
}

// mappingFields flattens the index template's mappings (properties and dynamic templates'
// path_match) into field → type, as Elasticsearch will see them.
func mappingFields(t *testing.T) (fields map[string]string, patterns map[string]string) {
	t.Helper()
	body := esship.TemplateBody(false)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Template struct {
			Mappings struct {
				Properties       map[string]any              `json:"properties"`
				DynamicTemplates []map[string]map[string]any `json:"dynamic_templates"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	fields, patterns = map[string]string{}, map[string]string{}
	var walk func(prefix string, props map[string]any)
	walk = func(prefix string, props map[string]any) {
		for name, v := range props {
			m := v.(map[string]any)
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(prefix+name+".", sub)
				continue
			}
			fields[prefix+name], _ = m["type"].(string)
		}
	}
	walk("", tmpl.Template.Mappings.Properties)
	for _, dt := range tmpl.Template.Mappings.DynamicTemplates {
		for _, spec := range dt {
			m, _ := spec["mapping"].(map[string]any)
			patterns[spec["path_match"].(string)], _ = m["type"].(string)
		}
	}
	if len(fields) < 20 {
		t.Fatalf("the index template maps only %d fields", len(fields))
	}
	return fields, patterns
}

func fieldType(fields, patterns map[string]string, f string) (string, bool) {
	if typ, ok := fields[f]; ok {
		return typ, true
	}
	for p, typ := range patterns {
		if strings.HasSuffix(p, ".*") && strings.HasPrefix(f, strings.TrimSuffix(p, "*")) {
			return typ, true
		}
	}
	return "", false
}

// A KQL field is a name followed by a colon.
var kqlField = regexp.MustCompile(`([A-Za-z_@][A-Za-z0-9_.@]*)\s*:`)

func TestKibanaSavedObjectsReferenceOnlyMappedFieldsAndEachOther(t *testing.T) {
	objs := readSavedObjects(t)
	fields, patterns := mappingFields(t)
	byID := map[string]savedObject{}
	count := map[string]int{}
	for _, o := range objs {
		if o.Type == "" || o.ID == "" || len(o.Attributes) < 3 {
			t.Errorf("object %+v lacks type, id or attributes", o)
		}
		if _, dup := byID[o.Type+"/"+o.ID]; dup {
			t.Errorf("duplicate object %s/%s", o.Type, o.ID)
		}
		if o.MigrationVersion[o.Type] == "" || !strings.HasPrefix(o.CoreMigrationVersion, "8.") {
			t.Errorf("%s/%s: no Kibana 8 migration version", o.Type, o.ID)
		}
		byID[o.Type+"/"+o.ID] = o
		count[o.Type]++
	}
	if count["index-pattern"] != 3 || count["search"] < 3 || count["dashboard"] != 1 {
		t.Errorf("objects by type %v: want 3 data views, the saved searches and a dashboard", count)
	}

	// Which dataset each data view shows: a field must be one that dataset's events carry.
	viewDataset := map[string]string{}
	for _, o := range objs {
		if o.Type != "index-pattern" {
			continue
		}
		var a struct {
			Title, TimeFieldName string
			FieldFormatMap       string
		}
		mustJSON(t, o.Attributes, &a)
		ds := strings.TrimSuffix(strings.TrimPrefix(a.Title, "logs-vigia."), "-*")
		if !contains(esship.IndexPatterns(), a.Title) {
			t.Errorf("data view %s: pattern %q is not one the index template covers %v", o.ID, a.Title, esship.IndexPatterns())
		}
		viewDataset[o.ID] = ds
		check := func(f, why string, aggregatable bool) {
			checkField(t, fields, patterns, o.ID, ds, f, why, aggregatable)
		}
		check(a.TimeFieldName, "time field", true)
		formats := map[string]any{}
		mustJSON(t, []byte(a.FieldFormatMap), &formats)
		for f := range formats {
			check(f, "field format", false)
		}
	}

	checked := 0
	for _, o := range objs {
		refs := map[string]string{}
		for _, r := range o.References {
			target, ok := byID[r.Type+"/"+r.ID]
			if !ok {
				t.Errorf("%s/%s: reference %s points to %s/%s, which is not in the file", o.Type, o.ID, r.Name, r.Type, r.ID)
				continue
			}
			refs[r.Name] = target.Type + "/" + target.ID
		}
		view := strings.TrimPrefix(refs["kibanaSavedObjectMeta.searchSourceJSON.index"], "index-pattern/")
		check := func(f, why string, aggregatable bool) {
			checked++
			checkField(t, fields, patterns, o.ID, viewDataset[view], f, why, aggregatable)
		}
		var a struct {
			Columns               []string
			Sort                  [][]string
			VisState              string
			PanelsJSON            string
			KibanaSavedObjectMeta struct{ SearchSourceJSON string }
		}
		mustJSON(t, o.Attributes, &a)
		if o.Type == "search" || o.Type == "visualization" {
			if view == "" {
				t.Errorf("%s/%s: no data view reference", o.Type, o.ID)
			}
			var ss struct {
				Query struct{ Query, Language string }
			}
			mustJSON(t, []byte(a.KibanaSavedObjectMeta.SearchSourceJSON), &ss)
			for _, m := range kqlField.FindAllStringSubmatch(ss.Query.Query, -1) {
				check(m[1], "query", false)
			}
		}
		for _, c := range a.Columns {
			check(c, "column", false)
		}
		for _, s := range a.Sort {
			check(s[0], "sort", true)
		}
		if a.VisState != "" {
			var vs struct {
				Aggs []struct {
					Type   string
					Params map[string]any
				}
			}
			mustJSON(t, []byte(a.VisState), &vs)
			for _, agg := range vs.Aggs {
				if f, ok := agg.Params["field"].(string); ok {
					check(f, agg.Type+" aggregation", true)
				}
			}
		}
		if a.PanelsJSON != "" {
			var panels []struct {
				Type, PanelRefName string
			}
			mustJSON(t, []byte(a.PanelsJSON), &panels)
			for _, p := range panels {
				if !strings.HasPrefix(refs[p.PanelRefName], p.Type+"/") {
					t.Errorf("dashboard %s: panel %s (%s) has no reference to a %s of the file", o.ID, p.PanelRefName, p.Type, p.Type)
				}
			}
			if len(panels) != len(o.References) {
				t.Errorf("dashboard %s: %d panels, %d references", o.ID, len(panels), len(o.References))
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d field uses checked: the parser missed some", checked)
	}
}

// checkField says whether f is mapped by the index template, is carried by events of the data
// view's dataset (per the ECS field list), and, where Kibana aggregates or sorts on it, is of an
// aggregatable type.
func checkField(t *testing.T, fields, patterns map[string]string, obj, dataset, f, why string, aggregatable bool) {
	t.Helper()
	typ, ok := fieldType(fields, patterns, f)
	if !ok {
		t.Errorf("%s: %s field %q is not in the index template's mapping", obj, why, f)
		return
	}
	if aggregatable && (typ == "text" || typ == "match_only_text") {
		t.Errorf("%s: %s field %q is %s, which Kibana cannot aggregate or sort on", obj, why, f, typ)
	}
	def, ok := ecs.Lookup(f)
	if !ok {
		t.Errorf("%s: %s field %q is mapped but not in ecs.Fields", obj, why, f)
		return
	}
	in := map[string]bool{}
	for _, e := range strings.Split(def.In, ",") {
		in[strings.TrimSpace(e)] = true
	}
	switch dataset {
	case "probe":
		if !in["probe"] && !in["step"] {
			t.Errorf("%s: %s field %q is never on probe or step events (it is on: %s)", obj, why, f, def.In)
		}
	case "alert", "log":
		if !in[dataset] {
			t.Errorf("%s: %s field %q is never on %s events (it is on: %s)", obj, why, f, dataset, def.In)
		}
	default:
		t.Errorf("%s: no data view dataset for field %q", obj, f)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// fakeKibana checks requests against Kibana's documented saved objects import API and answers
// as Kibana 8 does.
func fakeKibana(t *testing.T, refuse string) (*httptest.Server, *[]string) {
	var imported []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/kibana/s/ops/api/saved_objects/_import" || r.URL.RawQuery != "overwrite=true" {
			t.Errorf("request %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Header.Get("kbn-xsrf") == "" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"statusCode":400,"error":"Bad Request","message":"Request must contain a kbn-xsrf header."}`)
			return
		}
		if r.Header.Get("Authorization") != "ApiKey a2V5OnNlY3JldA==" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"statusCode":401,"error":"Unauthorized","message":"[security_exception] unable to authenticate"}`)
			return
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
			return
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "file" || !strings.HasSuffix(part.FileName(), ".ndjson") {
			t.Errorf("first part: %v name %q file %q: Kibana wants the NDJSON in a form field named file", err, part.FormName(), part.FileName())
			return
		}
		body, _ := io.ReadAll(part)
		want, _ := dashboards.Read(dashboards.KibanaFile)
		if !bytes.Equal(body, want) {
			t.Error("the uploaded file is not the embedded NDJSON")
		}
		var results, errs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			var o struct{ Type, ID string }
			json.Unmarshal([]byte(line), &o)
			if o.ID == refuse {
				errs = append(errs, map[string]any{"id": o.ID, "type": o.Type, "title": "x", "meta": map[string]any{},
					"error": map[string]any{"type": "missing_references", "references": []any{map[string]any{"type": "index-pattern", "id": "gone"}}}})
				continue
			}
			imported = append(imported, o.Type+"/"+o.ID)
			results = append(results, map[string]any{"type": o.Type, "id": o.ID, "meta": map[string]any{"title": "x", "icon": "x"}})
		}
		out := map[string]any{"success": len(errs) == 0, "successCount": len(results), "successResults": results}
		if len(errs) > 0 {
			out["errors"] = errs
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &imported
}

func TestInstallKibanaImportsEveryObjectIntoTheSpace(t *testing.T) {
	srv, imported := fakeKibana(t, "")
	res, err := dashboards.InstallKibana(context.Background(), dashboards.KibanaOptions{
		URL: srv.URL + "/kibana", Space: "ops", APIKey: "a2V5OnNlY3JldA=="})
	if err != nil {
		t.Fatal(err)
	}
	objs := readSavedObjects(t)
	if res.SuccessCount != len(objs) || len(res.Imported) != len(objs) || len(*imported) != len(objs) {
		t.Errorf("imported %d (%d listed), want %d", res.SuccessCount, len(res.Imported), len(objs))
	}
}

func TestInstallKibanaReportsRefusedObjects(t *testing.T) {
	srv, _ := fakeKibana(t, "vigia-alert-history")
	_, err := dashboards.InstallKibana(context.Background(), dashboards.KibanaOptions{
		URL: srv.URL + "/kibana", Space: "ops", APIKey: "a2V5OnNlY3JldA=="})
	var ie *dashboards.KibanaImportError
	if !errors.As(err, &ie) || len(ie.Objects) != 1 || !strings.Contains(ie.Objects[0], "search/vigia-alert-history: missing_references") {
		t.Errorf("err = %v, want the refused search and the reason", err)
	}
}

func TestInstallKibanaReportsRefusedCredentialsWithoutShowingThem(t *testing.T) {
	srv, _ := fakeKibana(t, "")
	_, err := dashboards.InstallKibana(context.Background(), dashboards.KibanaOptions{
		URL: srv.URL + "/kibana", Space: "ops", Username: "elastic", Password: "pw-s3cr3t"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("err = %v, want HTTP 401 with Kibana's message", err)
	}
	if err != nil && strings.Contains(err.Error(), "pw-s3cr3t") {
		t.Errorf("error shows the password: %v", err)
	}
	if _, err := dashboards.InstallKibana(context.Background(), dashboards.KibanaOptions{URL: srv.URL}); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("install without credentials: err = %v", err)
	}
}
