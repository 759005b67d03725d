package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/alerting/notify/zabbix"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/dashboards"
	"github.com/vigia-sei/vigia/dashboards/internal/demo"
	"github.com/vigia-sei/vigia/dashboards/internal/gen"
	"github.com/vigia-sei/vigia/internal/testenv"
)

type zbxTemplateFile struct {
	ZabbixExport struct {
		Version   string `yaml:"version"`
		Templates []struct {
			Template string `yaml:"template"`
			Items    []struct {
				Name      string `yaml:"name"`
				Type      string `yaml:"type"`
				Key       string `yaml:"key"`
				ValueType string `yaml:"value_type"`
				Units     string `yaml:"units"`
				ValueMap  *struct {
					Name string `yaml:"name"`
				} `yaml:"valuemap"`
				Triggers []struct {
					Expression string `yaml:"expression"`
					Name       string `yaml:"name"`
					Priority   string `yaml:"priority"`
				} `yaml:"triggers"`
			} `yaml:"items"`
			ValueMaps []struct {
				Name string `yaml:"name"`
			} `yaml:"valuemaps"`
		} `yaml:"templates"`
	} `yaml:"zabbix_export"`
}

type zbxItem struct{ name, valueType, units, valueMap string }

func readZabbixTemplate(t *testing.T) (items map[string]zbxItem, triggers map[string]string, raw []byte) {
	t.Helper()
	raw, err := dashboards.Read(gen.ZabbixFile)
	if err != nil {
		t.Fatal(err)
	}
	var f zbxTemplateFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if f.ZabbixExport.Version != "6.0" || len(f.ZabbixExport.Templates) != 1 {
		t.Fatalf("export version %q with %d templates, want one 6.0 template", f.ZabbixExport.Version, len(f.ZabbixExport.Templates))
	}
	tmpl := f.ZabbixExport.Templates[0]
	items, triggers = map[string]zbxItem{}, map[string]string{}
	for _, it := range tmpl.Items {
		if it.Type != "TRAP" {
			t.Errorf("item %s is %s: vigia sends values, the items must be trapper items", it.Key, it.Type)
		}
		z := zbxItem{name: it.Name, valueType: it.ValueType, units: it.Units}
		if it.ValueMap != nil {
			z.valueMap = it.ValueMap.Name
		}
		items[it.Key] = z
		for _, tr := range it.Triggers {
			triggers[tr.Name] = tr.Priority + " " + tr.Expression
		}
	}
	return items, triggers, raw
}

var apiValueType = map[string]string{"0": "FLOAT", "1": "CHAR", "3": "UNSIGNED", "4": "TEXT"}
var apiPriority = map[string]string{"1": "INFO", "2": "WARNING", "3": "AVERAGE", "4": "HIGH", "5": "DISASTER"}

// provisionedItems maps what the notifier asked Zabbix to create for one host into template terms.
func provisionedItems(p *gen.Provisioned, host string) (map[string]zbxItem, map[string]string) {
	// The notifier creates one value map per host (the drift levels); items refer to it by id.
	vmName := ""
	for name := range p.ValueMaps[host] {
		vmName = name
	}
	items := map[string]zbxItem{}
	for key, it := range p.Items[host] {
		z := zbxItem{name: fmt.Sprint(it["name"]), valueType: apiValueType[fmt.Sprint(it["value_type"])], units: fmt.Sprint(it["units"])}
		if vm := fmt.Sprint(it["valuemapid"]); vm != "0" {
			z.valueMap = vmName
		}
		items[key] = z
	}
	triggers := map[string]string{}
	for expr, tr := range p.Triggers[host] {
		triggers[fmt.Sprint(tr["description"])] = apiPriority[fmt.Sprint(tr["priority"])] + " " +
			strings.Replace(expr, "/"+host+"/", "/"+gen.ZabbixTemplateName+"/", 1)
	}
	return items, triggers
}

// The template holds exactly the items and triggers the Zabbix notifier provisions on a host for
// vigia's default rules, once it has seen every step, component and module the template covers.
func TestZabbixTemplateEqualsWhatTheNotifierProvisions(t *testing.T) {
	items, triggers, _ := readZabbixTemplate(t)
	rules, err := gen.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	results, err := gen.TemplateResults()
	if err != nil {
		t.Fatal(err)
	}
	p, err := gen.RecordProvision(context.Background(), nil, rules, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 0 {
		t.Errorf("provisioning an empty fleet created items: %v", p.Items)
	}
	p, err = gen.RecordProvision(context.Background(), []probe.Target{results[0].Target}, rules, results)
	if err != nil {
		t.Fatal(err)
	}
	wantItems, wantTriggers := provisionedItems(p, gen.TemplateHost)
	compareSets(t, "item", keysOf(items), keysOf(wantItems))
	for k, w := range wantItems {
		if g, ok := items[k]; ok && g != w {
			t.Errorf("item %s: template %+v, notifier %+v", k, g, w)
		}
	}
	compareSets(t, "trigger", keysOf(triggers), keysOf(wantTriggers))
	for k, w := range wantTriggers {
		if g, ok := triggers[k]; ok && g != w {
			t.Errorf("trigger %s: template %q, notifier %q", k, g, w)
		}
	}

	// Independently of the recording: the keys built from the notifier's exported constants.
	static := []string{zabbix.KeyUp, zabbix.KeyLatency, zabbix.KeyTLSDaysLeft}
	for _, pr := range config.ProbeNames {
		static = append(static, zabbix.KeyProbeOK+"["+pr+"]", zabbix.KeyProbeDuration+"["+pr+"]")
	}
	for _, r := range rules {
		static = append(static, zabbix.KeyAlert+"["+r.Alert+"]")
		if _, ok := triggers[r.Alert+" em {HOST.NAME}"]; !ok {
			t.Errorf("no trigger for rule %s", r.Alert)
		}
	}
	for _, k := range static {
		if _, ok := items[k]; !ok {
			t.Errorf("the template lacks item %s", k)
		}
	}
	for _, base := range []string{zabbix.KeyStepDuration, zabbix.KeyDrift, zabbix.KeyModuleUp, zabbix.KeyVersion} {
		if !hasPrefix(items, base+"[") {
			t.Errorf("the template has no %s[...] item", base)
		}
	}
}

// A real demo run: every item the notifier provisions for any instance of the simulated fleet is
// in the template, with the same name and type, so a team that imports the template loses no
// value vigia sends.
func TestZabbixTemplateCoversEveryItemOfADemoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every probe against a simulated fleet (about 8 s)")
	}
	items, _, _ := readZabbixTemplate(t)
	run, err := demo.Execute(context.Background(), demo.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := gen.RecordProvision(context.Background(), run.Targets, run.Rules, run.Results)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != len(run.Targets) {
		t.Fatalf("the notifier provisioned %d hosts, the fleet has %d", len(p.Items), len(run.Targets))
	}
	dynamic := 0
	for host := range p.Items {
		got, _ := provisionedItems(p, host)
		for k, w := range got {
			if strings.Contains(k, "[") && !strings.HasPrefix(k, zabbix.KeyAlert+"[") && !strings.HasPrefix(k, zabbix.KeyProbeOK) && !strings.HasPrefix(k, zabbix.KeyProbeDuration) {
				dynamic++
			}
			it, ok := items[k]
			if !ok {
				t.Errorf("%s: the notifier provisions %s, the template lacks it", host, k)
				continue
			}
			if it != w {
				t.Errorf("%s: item %s: template %+v, notifier %+v", host, k, it, w)
			}
		}
	}
	if dynamic == 0 {
		t.Error("the demo run made the notifier provision no step, component or module item")
	}
}

// Zabbix 6.0 itself imports the template (configuration.import) and then holds every item and
// trigger of the file.
func TestZabbixImportsTheTemplate(t *testing.T) {
	api, user, pass, _ := testenv.Zabbix(t)
	items, triggers, raw := readZabbixTemplate(t)
	z := &zabbixAPI{t: t, url: api}
	z.auth = z.call("user.login", map[string]any{"username": user, "password": pass}, nil).(string)
	t.Cleanup(func() { z.call("user.logout", []any{}, nil) })

	cleanup := func() {
		var got []struct {
			TemplateID string `json:"templateid"`
		}
		z.call("template.get", map[string]any{"output": []string{"templateid"}, "filter": map[string]any{"host": []string{gen.ZabbixTemplateName}}}, &got)
		for _, tpl := range got {
			z.call("template.delete", []string{tpl.TemplateID}, nil)
		}
	}
	cleanup()
	t.Cleanup(cleanup)
	yes := map[string]bool{"createMissing": true, "updateExisting": true}
	yesDel := map[string]bool{"createMissing": true, "updateExisting": true, "deleteMissing": true}
	z.call("configuration.import", map[string]any{"format": "yaml", "source": string(raw), "rules": map[string]any{
		"groups": map[string]bool{"createMissing": true}, "templates": yes, "items": yesDel, "triggers": yesDel, "valueMaps": yesDel,
	}}, nil)

	var got []struct {
		TemplateID string `json:"templateid"`
		Items      []struct {
			Key       string `json:"key_"`
			Name      string `json:"name"`
			Type      string `json:"type"`
			ValueType string `json:"value_type"`
		} `json:"items"`
	}
	z.call("template.get", map[string]any{
		"output": []string{"templateid"}, "filter": map[string]any{"host": []string{gen.ZabbixTemplateName}},
		"selectItems": []string{"key_", "name", "type", "value_type"},
	}, &got)
	if len(got) != 1 {
		t.Fatalf("Zabbix holds %d templates named %q after the import", len(got), gen.ZabbixTemplateName)
	}
	imported := map[string]zbxItem{}
	for _, it := range got[0].Items {
		if it.Type != "2" {
			t.Errorf("item %s imported as type %s, want 2 (trapper)", it.Key, it.Type)
		}
		imported[it.Key] = zbxItem{name: it.Name, valueType: apiValueType[it.ValueType]}
	}
	want := map[string]zbxItem{}
	for k, it := range items {
		want[k] = zbxItem{name: it.name, valueType: it.valueType}
	}
	compareSets(t, "imported item", keysOf(imported), keysOf(want))
	for k, w := range want {
		if g, ok := imported[k]; ok && g != w {
			t.Errorf("item %s: imported %+v, file %+v", k, g, w)
		}
	}
	var trs []struct {
		Description string `json:"description"`
		Expression  string `json:"expression"`
		Priority    string `json:"priority"`
	}
	z.call("trigger.get", map[string]any{"output": []string{"description", "expression", "priority"},
		"templateids": []string{got[0].TemplateID}, "expandExpression": true}, &trs)
	importedTriggers := map[string]string{}
	for _, tr := range trs {
		importedTriggers[tr.Description] = apiPriority[tr.Priority] + " " + tr.Expression
	}
	compareSets(t, "imported trigger", keysOf(importedTriggers), keysOf(triggers))
	for k, w := range triggers {
		if g := importedTriggers[k]; g != w {
			t.Errorf("trigger %s: imported %q, file %q", k, g, w)
		}
	}
}

type zabbixAPI struct {
	t    *testing.T
	url  string
	auth string
	id   int
}

func (z *zabbixAPI) call(method string, params, out any) any {
	z.t.Helper()
	z.id++
	req := map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": z.id}
	if z.auth != "" && method != "user.login" && method != "apiinfo.version" {
		req["auth"] = z.auth // Zabbix 6.0 wants the session in the body
	}
	b, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, z.url, bytes.NewReader(b))
	hr.Header.Set("Content-Type", "application/json-rpc")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		z.t.Fatalf("%s: %v", method, err)
	}
	defer res.Body.Close()
	var resp struct {
		Result json.RawMessage
		Error  *struct {
			Message, Data string
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		z.t.Fatalf("%s: %v", method, err)
	}
	if resp.Error != nil {
		z.t.Fatalf("%s: %s %s", method, resp.Error.Message, resp.Error.Data)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Result, out); err != nil {
			z.t.Fatalf("%s: %v", method, err)
		}
		return out
	}
	var v any
	json.Unmarshal(resp.Result, &v)
	return v
}

func compareSets(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := map[string]bool{}, map[string]bool{}
	for _, k := range got {
		g[k] = true
	}
	for _, k := range want {
		w[k] = true
	}
	var missing, extra []string
	for k := range w {
		if !g[k] {
			missing = append(missing, k)
		}
	}
	for k := range g {
		if !w[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%ss missing: %v", what, missing)
	}
	if len(extra) > 0 {
		t.Errorf("unexpected %ss: %v", what, extra)
	}
}

func keysOf[V any](m map[string]V) []string { return sortedKeys(m) }

func hasPrefix[V any](m map[string]V, p string) bool {
	for k := range m {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
