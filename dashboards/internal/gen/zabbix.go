package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/alerting/notify/zabbix"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/collectors/sei"
	"github.com/vigia-sei/vigia/config"
)

// ZabbixTemplateName is the template's technical name (and the host part of its trigger
// expressions).
const ZabbixTemplateName = "vigia SEI"

// ZabbixTemplateGroup is the template group the template is filed under.
const ZabbixTemplateGroup = "Templates/SEI"

// Provisioned is what the Zabbix notifier asked the Zabbix API to create, as JSON-RPC params.
// Items (by key_), triggers (by expression) and value maps (by name) are per host name; a later
// create of the same object replaces an earlier one.
type Provisioned struct {
	Items     map[string]map[string]map[string]any
	Triggers  map[string]map[string]map[string]any
	ValueMaps map[string]map[string]map[string]any
	Hosts     map[string]map[string]any
	Methods   []string
}

func put(m map[string]map[string]map[string]any, host, id string, o map[string]any) {
	if m[host] == nil {
		m[host] = map[string]map[string]any{}
	}
	m[host][id] = o
}

// sorted returns the objects of one host ordered by their identifying field.
func sorted(m map[string]map[string]any) []map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// RecordProvision runs the real Zabbix notifier's provisioning against an in-process JSON-RPC
// endpoint that answers like an empty Zabbix 6.0 and records every create call. It provisions
// once, feeds the results (so the notifier learns the steps, components and modules it sees) and
// provisions again, the way the notifier does when results show new items.
func RecordProvision(ctx context.Context, targets []probe.Target, rules []config.Rule, results []probe.Result) (*Provisioned, error) {
	rec := &recorder{p: &Provisioned{Items: map[string]map[string]map[string]any{}, Triggers: map[string]map[string]map[string]any{},
		ValueMaps: map[string]map[string]map[string]any{}, Hosts: map[string]map[string]any{}}, hostNames: map[string]string{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	n, err := zabbix.New(config.ZabbixReceiver{Server: "127.0.0.1:10051", API: srv.URL + "/api_jsonrpc.php", Token: "recorder"},
		zabbix.Options{Name: "zabbix"})
	if err != nil {
		return nil, err
	}
	if err := n.Provision(ctx, targets, rules); err != nil {
		return nil, err
	}
	for _, r := range results {
		n.HandleResult(r)
	}
	if err := n.Provision(ctx, targets, rules); err != nil {
		return nil, err
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.err != nil {
		return nil, rec.err
	}
	return rec.p, nil
}

// recorder is the JSON-RPC endpoint: every get finds nothing, every create succeeds.
type recorder struct {
	mu        sync.Mutex
	p         *Provisioned
	next      int
	hostNames map[string]string // hostid → host
	err       error
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var call struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
		ID     any             `json:"id"`
	}
	if err := json.Unmarshal(body, &call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	result, err := r.answer(call.Method, call.Params)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": call.ID,
			"error": map[string]any{"code": -32602, "message": "Invalid params.", "data": err.Error()}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "result": result, "id": call.ID})
}

func (r *recorder) answer(method string, raw json.RawMessage) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p.Methods = append(r.p.Methods, method)
	switch {
	case method == "apiinfo.version":
		return "6.0.14", nil
	case method == "user.login":
		return "recorder-session", nil
	case method == "user.logout":
		return true, nil
	case strings.HasSuffix(method, ".get"):
		return []any{}, nil
	case strings.HasSuffix(method, ".create"), strings.HasSuffix(method, ".update"):
	default:
		return nil, fmt.Errorf("unexpected method %s", method)
	}
	var objs []map[string]any
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &objs); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
	} else {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		objs = []map[string]any{o}
	}
	obj := strings.TrimSuffix(strings.TrimSuffix(method, ".create"), ".update")
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		r.next++
		id := strconv.Itoa(r.next)
		ids = append(ids, id)
		if !strings.HasSuffix(method, ".create") {
			continue
		}
		switch obj {
		case "host":
			h := fmt.Sprint(o["host"])
			r.p.Hosts[h] = o
			r.hostNames[id] = h
		case "item":
			put(r.p.Items, r.hostNames[fmt.Sprint(o["hostid"])], fmt.Sprint(o["key_"]), o)
		case "valuemap":
			put(r.p.ValueMaps, r.hostNames[fmt.Sprint(o["hostid"])], fmt.Sprint(o["name"]), o)
		case "trigger":
			// Trigger expressions name their host: last(/host/key)=1.
			expr := fmt.Sprint(o["expression"])
			h := strings.SplitN(strings.TrimPrefix(expr, "last(/"), "/", 2)[0]
			put(r.p.Triggers, h, expr, o)
		}
	}
	idField := map[string]string{"hostgroup": "groupids", "host": "hostids", "valuemap": "valuemapids", "item": "itemids", "trigger": "triggerids"}[obj]
	if idField == "" {
		return nil, fmt.Errorf("unexpected method %s", method)
	}
	return map[string]any{idField: ids}, nil
}

// TemplateHost is the instance the template is derived from.
const TemplateHost = "modelo"

// TemplateResults are results that show the notifier every step of the default synthetic
// scenario, the components the version probe reports (sei, sip, infra) and every module of the
// embedded catalogue, so the template holds an item for each value vigia may send.
func TemplateResults() ([]probe.Result, error) {
	t := probe.Target{Name: TemplateHost, URL: "https://sei.exemplo.gov.br"}
	up := true
	mods := sei.DefaultCatalogue().Modules()
	modules := probe.Result{Target: t, Probe: probe.Modules, OK: true}
	version := probe.Result{Target: t, Probe: probe.Version, OK: true}
	for _, c := range []string{"sei", "sip", "infra"} {
		version.Versions = append(version.Versions, probe.ComponentVersion{Component: c, Version: "0.0.0", Source: "template"})
	}
	for _, c := range []string{"sei", "sip"} {
		version.Drift = append(version.Drift, probe.Drift{Component: c, Level: "none", Against: "latest"})
	}
	for _, m := range mods {
		modules.Modules = append(modules.Modules, probe.Module{Name: m.Key, Version: "0.0.0", Up: &up})
		modules.Drift = append(modules.Drift, probe.Drift{Component: m.Key, Level: "none", Against: "latest"})
	}
	synthetic := probe.Result{Target: t, Probe: probe.Synthetic, OK: true}
	for _, s := range collectors.DefaultScenario().Steps {
		synthetic.Steps = append(synthetic.Steps, probe.Step{Name: s.Name, OK: true, Duration: time.Second})
	}
	if len(synthetic.Steps) == 0 || len(mods) == 0 {
		return nil, fmt.Errorf("zabbix template: no steps or no modules to derive items from")
	}
	return []probe.Result{version, modules, synthetic}, nil
}

// ZabbixTemplate renders the Zabbix 6.0 template (YAML export format) from what the notifier
// provisions on one host for the given rules.
func ZabbixTemplate(ctx context.Context, rules []config.Rule) ([]byte, error) {
	results, err := TemplateResults()
	if err != nil {
		return nil, err
	}
	p, err := RecordProvision(ctx, []probe.Target{results[0].Target}, rules, results)
	if err != nil {
		return nil, fmt.Errorf("zabbix template: %w", err)
	}
	return renderTemplate(p, TemplateHost)
}

// Export format (Zabbix 6.0 configuration.export, YAML). Field order follows Zabbix's own
// exports so a diff against an export from the UI reads naturally.
type zExport struct {
	ZabbixExport zExportBody `yaml:"zabbix_export"`
}

type zExportBody struct {
	Version   string      `yaml:"version"`
	Date      string      `yaml:"date"`
	Groups    []zGroup    `yaml:"groups"`
	Templates []zTemplate `yaml:"templates"`
}

type zGroup struct {
	UUID string `yaml:"uuid"`
	Name string `yaml:"name"`
}

type zName struct {
	Name string `yaml:"name"`
}

type zTemplate struct {
	UUID        string      `yaml:"uuid"`
	Template    string      `yaml:"template"`
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Groups      []zName     `yaml:"groups"`
	Items       []zItem     `yaml:"items"`
	Tags        []zTag      `yaml:"tags"`
	ValueMaps   []zValueMap `yaml:"valuemaps"`
}

type zItem struct {
	UUID      string     `yaml:"uuid"`
	Name      string     `yaml:"name"`
	Type      string     `yaml:"type"`
	Key       string     `yaml:"key"`
	Delay     string     `yaml:"delay"`
	Trends    string     `yaml:"trends,omitempty"`
	ValueType string     `yaml:"value_type"`
	Units     string     `yaml:"units,omitempty"`
	ValueMap  *zName     `yaml:"valuemap,omitempty"`
	Tags      []zTag     `yaml:"tags,omitempty"`
	Triggers  []zTrigger `yaml:"triggers,omitempty"`
}

type zTag struct {
	Tag   string `yaml:"tag"`
	Value string `yaml:"value"`
}

type zTrigger struct {
	UUID        string `yaml:"uuid"`
	Expression  string `yaml:"expression"`
	Name        string `yaml:"name"`
	URL         string `yaml:"url,omitempty"`
	Priority    string `yaml:"priority"`
	Description string `yaml:"description,omitempty"`
	ManualClose string `yaml:"manual_close,omitempty"`
	Tags        []zTag `yaml:"tags,omitempty"`
}

type zValueMap struct {
	UUID     string     `yaml:"uuid"`
	Name     string     `yaml:"name"`
	Mappings []zMapping `yaml:"mappings"`
}

type zMapping struct {
	Value    string `yaml:"value"`
	NewValue string `yaml:"newvalue"`
}

// Zabbix API numbers to export constants.
var (
	valueTypeName = map[string]string{"0": "FLOAT", "1": "CHAR", "2": "LOG", "3": "UNSIGNED", "4": "TEXT"}
	priorityName  = map[string]string{"0": "NOT_CLASSIFIED", "1": "INFO", "2": "WARNING", "3": "AVERAGE", "4": "HIGH", "5": "DISASTER"}
)

// uuid4 makes a stable UUIDv4-shaped identifier (Zabbix 6.0 rejects other shapes) from a name,
// so regenerating the template keeps every object's identity and re-imports update in place.
func uuid4(parts ...string) string {
	sum := sha256.Sum256([]byte("vigia\x00" + strings.Join(parts, "\x00")))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b)
}

func renderTemplate(p *Provisioned, host string) ([]byte, error) {
	items := sorted(p.Items[host])
	if len(items) == 0 {
		return nil, fmt.Errorf("zabbix template: the notifier provisioned no items for %s", host)
	}
	tmpl := zTemplate{
		UUID: uuid4("template", ZabbixTemplateName), Template: ZabbixTemplateName, Name: ZabbixTemplateName,
		Description: "Itens e gatilhos que o vigia alimenta em cada instância SEI (um host por instância, com o nome da instância). " +
			"Gerado a partir do que o notificador Zabbix do vigia provisiona; use-o quando o vigia não tiver acesso à API do Zabbix (receivers.<nome>.zabbix.api vazio).",
		Groups: []zName{{Name: ZabbixTemplateGroup}},
		Tags:   []zTag{{Tag: "managed-by", Value: "vigia"}},
	}
	triggersByKey := map[string][]zTrigger{}
	for _, t := range sorted(p.Triggers[host]) {
		expr := fmt.Sprint(t["expression"])
		key := strings.TrimSuffix(strings.TrimPrefix(expr, "last(/"+host+"/"), ")=1")
		if key == expr {
			return nil, fmt.Errorf("zabbix template: trigger expression %q is not last(/host/key)=1", expr)
		}
		zt := zTrigger{
			UUID:        uuid4("trigger", key),
			Expression:  "last(/" + ZabbixTemplateName + "/" + key + ")=1",
			Name:        fmt.Sprint(t["description"]),
			URL:         str(t["url"]),
			Priority:    priorityName[fmt.Sprint(t["priority"])],
			Description: str(t["comments"]),
			Tags:        tags(t["tags"]),
		}
		if fmt.Sprint(t["manual_close"]) == "1" {
			zt.ManualClose = "YES"
		}
		triggersByKey[key] = append(triggersByKey[key], zt)
	}
	for _, it := range items {
		key := fmt.Sprint(it["key_"])
		if fmt.Sprint(it["type"]) != "2" {
			return nil, fmt.Errorf("zabbix template: item %s is of type %v, not trapper (2)", key, it["type"])
		}
		vt := valueTypeName[fmt.Sprint(it["value_type"])]
		zi := zItem{UUID: uuid4("item", key), Name: fmt.Sprint(it["name"]), Type: "TRAP", Key: key, Delay: "0",
			ValueType: vt, Units: str(it["units"]), Tags: tags(it["tags"]), Triggers: triggersByKey[key]}
		if vt == "CHAR" || vt == "TEXT" || vt == "LOG" {
			zi.Trends = "0"
		}
		if vm := fmt.Sprint(it["valuemapid"]); vm != "0" && vm != "" && vm != "<nil>" {
			vms := sorted(p.ValueMaps[host])
			if len(vms) != 1 {
				return nil, fmt.Errorf("zabbix template: item %s uses a value map but the host has %d", key, len(vms))
			}
			zi.ValueMap = &zName{Name: fmt.Sprint(vms[0]["name"])}
		}
		delete(triggersByKey, key)
		tmpl.Items = append(tmpl.Items, zi)
	}
	if len(triggersByKey) > 0 {
		return nil, fmt.Errorf("zabbix template: triggers on keys without items: %v", triggersByKey)
	}
	for _, vm := range sorted(p.ValueMaps[host]) {
		z := zValueMap{UUID: uuid4("valuemap", fmt.Sprint(vm["name"])), Name: fmt.Sprint(vm["name"])}
		maps, _ := vm["mappings"].([]any)
		for _, m := range maps {
			mm, _ := m.(map[string]any)
			z.Mappings = append(z.Mappings, zMapping{Value: fmt.Sprint(mm["value"]), NewValue: fmt.Sprint(mm["newvalue"])})
		}
		tmpl.ValueMaps = append(tmpl.ValueMaps, z)
	}
	doc := zExport{ZabbixExport: zExportBody{
		Version: "6.0",
		// A fixed date keeps the generated file stable; Zabbix only displays it.
		Date:      "2026-01-01T00:00:00Z",
		Groups:    []zGroup{{UUID: uuid4("group", ZabbixTemplateGroup), Name: ZabbixTemplateGroup}},
		Templates: []zTemplate{tmpl},
	}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("zabbix template: %w", err)
	}
	return buf.Bytes(), nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func tags(v any) []zTag {
	list, _ := v.([]any)
	out := make([]zTag, 0, len(list))
	for _, t := range list {
		m, _ := t.(map[string]any)
		out = append(out, zTag{Tag: fmt.Sprint(m["tag"]), Value: fmt.Sprint(m["value"])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}
