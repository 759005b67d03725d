package zabbix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/alerting/notify/zabbix"
	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/seisim"
	"github.com/vigia-sei/vigia/internal/testenv"
)

// rpc is the test's own JSON-RPC client, independent of the code under test: it reads what
// Zabbix holds the way an operator's script would.
type rpc struct {
	t     *testing.T
	url   string
	token string
}

func newRPC(t *testing.T, api, user, pass string) *rpc {
	r := &rpc{t: t, url: api}
	var tok string
	r.call("user.login", map[string]any{"username": user, "password": pass}, &tok)
	r.token = tok
	t.Cleanup(func() { r.call("user.logout", []any{}, nil) })
	return r
}

func (r *rpc) call(method string, params, out any) {
	r.t.Helper()
	req := map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
	if r.token != "" {
		req["auth"] = r.token
	}
	b, _ := json.Marshal(req)
	resp, err := http.Post(r.url, "application/json-rpc", bytes.NewReader(b))
	if err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var res struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message, Data string
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	if res.Error != nil {
		r.t.Fatalf("%s: %s %s", method, res.Error.Message, res.Error.Data)
	}
	if out != nil {
		if err := json.Unmarshal(res.Result, out); err != nil {
			r.t.Fatalf("%s: decode %s: %v", method, res.Result, err)
		}
	}
}

type zhost struct {
	HostID string `json:"hostid"`
	Host   string `json:"host"`
	Status string `json:"status"`
	Tags   []struct {
		Tag, Value string
	} `json:"tags"`
	Groups []struct {
		Name string `json:"name"`
	} `json:"groups"`
}

func (r *rpc) host(name string) (zhost, bool) {
	var hs []zhost
	r.call("host.get", map[string]any{"filter": map[string]any{"host": []string{name}}, "output": []string{"hostid", "host", "status"}, "selectTags": "extend", "selectGroups": []string{"name"}}, &hs)
	if len(hs) != 1 {
		return zhost{}, false
	}
	return hs[0], true
}

// auditCount counts add/update/delete audit records about the given hosts and everything on
// them (groups, items, triggers, value maps), so other tests using the shared server do not count.
func (r *rpc) auditCount(hostIDs []string) int {
	ids := func(method, field string, extra map[string]any) []string {
		q := map[string]any{"hostids": hostIDs, "output": []string{field}}
		for k, v := range extra {
			q[k] = v
		}
		var rows []map[string]any
		r.call(method, q, &rows)
		out := make([]string, 0, len(rows))
		for _, row := range rows {
			out = append(out, fmt.Sprint(row[field]))
		}
		return out
	}
	byType := map[int][]string{
		4:  hostIDs,
		14: ids("hostgroup.get", "groupid", nil),
		15: ids("item.get", "itemid", nil),
		13: ids("trigger.get", "triggerid", nil),
		17: ids("valuemap.get", "valuemapid", nil),
	}
	total := 0
	for typ, rid := range byType {
		var n string
		r.call("auditlog.get", map[string]any{"countOutput": true, "filter": map[string]any{"action": []int{0, 1, 2}, "resourcetype": typ, "resourceid": rid}}, &n)
		var c int
		fmt.Sscan(n, &c)
		total += c
	}
	return total
}

// unique keeps each run's hosts apart from earlier runs' on the shared server.
func unique() string { return fmt.Sprintf("it%06d-", rand.IntN(1000000)) }

func rules() []config.Rule {
	return []config.Rule{
		{Alert: "SEIDown", Probe: "health", When: "failing", Severity: "critical", Annotations: map[string]string{"runbook_url": "https://wiki.exemplo/sei-down"}},
		{Alert: "SEIVersionDrift", Probe: "version", Drift: []string{"major"}, Severity: "warning"},
	}
}

func newNotifier(t *testing.T, cfg config.ZabbixReceiver, reg prometheus.Registerer, logs io.Writer) *zabbix.Notifier {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	n, err := zabbix.New(cfg, zabbix.Options{Name: "zabbix", Registerer: reg, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ReprovisionEvery: time.Second, FlushEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProvisioningCreatesOnceAndDisablesRemoved(t *testing.T) {
	api, user, pass, sender := testenv.Zabbix(t)
	zr := newRPC(t, api, user, pass)
	prefix := unique()
	cfg := config.ZabbixReceiver{Server: sender, API: api, Username: user, Password: probe.Secret(pass), HostPrefix: prefix, HostGroupPrefix: "SEI-" + prefix + "/", CacheDelay: 3 * time.Second}
	reg := prometheus.NewPedanticRegistry()
	n := newNotifier(t, cfg, reg, nil)
	targets := []probe.Target{
		{Name: "mgi-prod", URL: "https://monitor:senha@sei.mgi.exemplo/", Owner: "MGI", Environment: "prod", Labels: map[string]string{"cloud": "a"}},
		{Name: "anatel-homolog", URL: "https://sei.anatel.exemplo/", Owner: "ANATEL", Environment: "homolog", Probes: []string{"health"}},
	}
	ctx := context.Background()
	if err := n.Provision(ctx, targets, rules()); err != nil {
		t.Fatal(err)
	}
	first := n.LastReport()
	if !strings.HasPrefix(first.Version, "6.0") || first.Created["host"] != 2 || first.Created["hostgroup"] != 2 || first.Created["trigger"] != 4 {
		t.Fatalf("first run: %+v", first)
	}

	h, ok := zr.host(prefix + "mgi-prod")
	if !ok || h.Status != "0" || len(h.Groups) != 1 || h.Groups[0].Name != "SEI-"+prefix+"/MGI" {
		t.Fatalf("host: %+v", h)
	}
	tags := map[string]string{}
	for _, tg := range h.Tags {
		tags[tg.Tag] = tg.Value
	}
	if tags["environment"] != "prod" || tags["owner"] != "MGI" || tags["cloud"] != "a" || tags["managed-by"] != "vigia" {
		t.Errorf("host tags: %v", tags)
	}
	var items []struct {
		Key       string `json:"key_"`
		Type      string `json:"type"`
		ValueType string `json:"value_type"`
	}
	zr.call("item.get", map[string]any{"hostids": []string{h.HostID}, "output": []string{"key_", "type", "value_type"}}, &items)
	got := map[string]string{}
	for _, it := range items {
		if it.Type != "2" {
			t.Errorf("item %s is not a trapper (type %s)", it.Key, it.Type)
		}
		got[it.Key] = it.ValueType
	}
	for k, vt := range map[string]string{"vigia.up": "3", "vigia.latency": "0", "vigia.tls.days_left": "0", "vigia.probe.ok[synthetic]": "3", "vigia.alert[SEIDown]": "3", "vigia.alert[SEIVersionDrift]": "3"} {
		if got[k] != vt {
			t.Errorf("item %s: value type %q, want %q", k, got[k], vt)
		}
	}
	var trig []struct {
		Description string `json:"description"`
		Expression  string `json:"expression"`
		Priority    string `json:"priority"`
		URL         string `json:"url"`
	}
	zr.call("trigger.get", map[string]any{"hostids": []string{h.HostID}, "output": []string{"description", "expression", "priority", "url"}, "expandExpression": true, "filter": map[string]any{"priority": "4"}}, &trig)
	if len(trig) != 1 || trig[0].Expression != "last(/"+prefix+"mgi-prod/vigia.alert[SEIDown])=1" || trig[0].Description != "SEIDown em {HOST.NAME}" || trig[0].URL != "https://wiki.exemplo/sei-down" {
		t.Errorf("SEIDown trigger (high): %+v", trig)
	}
	var desc []struct{ Description string }
	zr.call("host.get", map[string]any{"hostids": []string{h.HostID}, "output": []string{"description"}}, &desc)
	if strings.Contains(desc[0].Description, "senha") {
		t.Errorf("the instance URL's password reached Zabbix: %q", desc[0].Description)
	}

	// Second run: nothing changes, in vigia's report and in Zabbix's own audit log.
	other, _ := zr.host(prefix + "anatel-homolog")
	ours := []string{h.HostID, other.HostID}
	before := zr.auditCount(ours)
	if before < 2 {
		t.Fatalf("the audit log does not show the first run (%d records): the check below would prove nothing", before)
	}
	if err := n.Provision(ctx, targets, rules()); err != nil {
		t.Fatal(err)
	}
	if c := n.LastReport().Changes(); c != 0 {
		t.Errorf("second run changed %d objects: %+v", c, n.LastReport())
	}
	if after := zr.auditCount(ours); after != before {
		t.Errorf("second run wrote %d audit records", after-before)
	}

	// anatel-homolog leaves the fleet: disabled, not deleted.
	if err := n.Provision(ctx, targets[:1], rules()); err != nil {
		t.Fatal(err)
	}
	gone, ok := zr.host(prefix + "anatel-homolog")
	if !ok || gone.Status != "1" {
		t.Errorf("removed instance should stay as a disabled host: %+v %v", gone, ok)
	}
	if r := n.LastReport(); r.Disabled["host"] != 1 || r.Changes() != 1 {
		t.Errorf("third run: %+v", r)
	}
	if v := testutil.ToFloat64(changes(t, reg)); v < 10 {
		t.Errorf("vigia_zabbix_provision_changes_total = %v", v)
	}
}

func changes(t *testing.T, g prometheus.Gatherer) prometheus.Collector {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "vigia_zabbix_provision_changes_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	c := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
	c.Set(sum)
	return c
}

type zproblem struct {
	EventID string `json:"eventid"`
	Name    string `json:"name"`
}

func (r *rpc) problems(hostID string) []zproblem {
	var ps []zproblem
	r.call("problem.get", map[string]any{"hostids": []string{hostID}, "output": []string{"eventid", "name"}}, &ps)
	return ps
}

func (r *rpc) lastValue(hostID, key string) string {
	var it []struct {
		LastValue string `json:"lastvalue"`
		LastClock string `json:"lastclock"`
	}
	r.call("item.get", map[string]any{"hostids": []string{hostID}, "filter": map[string]any{"key_": key}, "output": []string{"lastvalue", "lastclock"}}, &it)
	if len(it) != 1 || it[0].LastClock == "0" {
		return ""
	}
	return it[0].LastValue
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func alertGroup(host, state string) *alerting.Group {
	a := alerting.Alert{Labels: map[string]string{"alertname": "SEIDown", "instance": host, "severity": "critical"}, State: state, StartsAt: time.Now()}
	if state == alerting.StateResolved {
		a.EndsAt = time.Now()
	}
	return &alerting.Group{Key: "zbx", Receiver: "zabbix", Status: state, Alerts: []alerting.Alert{a}}
}

// TestFailingInstanceRaisesAndHealsProblem: a seisim instance starts answering 500; its probe
// result goes to the Zabbix notifier (values) and to vigia's real alert manager, whose firing
// SEIDown reaches Zabbix through this notifier and opens the trigger's problem; healing closes it.
func TestFailingInstanceRaisesAndHealsProblem(t *testing.T) {
	api, user, pass, sender := testenv.Zabbix(t)
	zr := newRPC(t, api, user, pass)
	sim := seisim.New(seisim.Fleet{Instances: []seisim.Instance{{Name: "orgao-0001", Org: "ABC", SEIVersion: "4.1.5"}}}, seisim.Options{})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	prefix := unique()
	target := probe.Target{Name: "orgao-0001", URL: srv.URL + "/orgao-0001", Owner: "ABC", Environment: "prod"}
	reg := prometheus.NewPedanticRegistry()
	n := newNotifier(t, config.ZabbixReceiver{Server: sender, API: api, Username: user, Password: probe.Secret(pass), HostPrefix: prefix, HostGroupPrefix: "SEI-" + prefix + "/", CacheDelay: 3 * time.Second}, reg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rs := []config.Rule{{Alert: "SEIDown", Probe: probe.HTTP, When: "failing", Severity: "critical"}}
	if err := n.Provision(ctx, []probe.Target{target}, rs); err != nil {
		t.Fatal(err)
	}
	go n.Run(ctx)
	m, err := alerting.NewManager(alerting.ManagerConfig{
		Rules:  rs,
		Routes: config.Route{Receivers: []string{"zabbix"}, GroupBy: []string{"alertname", "instance"}, GroupWait: 100 * time.Millisecond, GroupInterval: 100 * time.Millisecond, RepeatInterval: time.Hour},
	}, map[string]alerting.Notifier{"zabbix": n}, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	m.SetInstances([]string{target.Name})
	go m.Run(ctx)
	handle := func(r probe.Result) { n.HandleResult(r); m.HandleResult(r) }

	h, ok := zr.host(prefix + "orgao-0001")
	if !ok {
		t.Fatal("host not provisioned")
	}
	prober := collectors.NewHTTPProber(collectors.HTTPOptions{})
	healthy := collectors.RunProbe(ctx, prober, target, 5*time.Second)
	if !healthy.OK {
		t.Fatalf("seisim instance should be up: %+v", healthy)
	}
	handle(healthy)
	waitFor(t, "vigia.up = 1 in Zabbix", 30*time.Second, func() bool { return zr.lastValue(h.HostID, "vigia.up") == "1" })

	if err := sim.SetFaults("orgao-0001", seisim.Faults{Status500: true}); err != nil {
		t.Fatal(err)
	}
	failing := collectors.RunProbe(ctx, prober, target, 5*time.Second)
	if failing.OK {
		t.Fatalf("the 500 fault should fail the probe: %+v", failing)
	}
	start := time.Now()
	handle(failing) // one evaluation, one send
	waitFor(t, "the SEIDown problem", 15*time.Second, func() bool {
		ps := zr.problems(h.HostID)
		return len(ps) == 1 && ps[0].Name == "SEIDown em "+prefix+"orgao-0001"
	})
	t.Logf("problem visible in Zabbix %v after the failing result", time.Since(start).Round(time.Millisecond))
	if v := zr.lastValue(h.HostID, "vigia.up"); v != "0" {
		t.Errorf("vigia.up = %q, want 0", v)
	}

	if err := sim.SetFaults("orgao-0001", seisim.Faults{}); err != nil {
		t.Fatal(err)
	}
	handle(collectors.RunProbe(ctx, prober, target, 5*time.Second))
	waitFor(t, "the problem to resolve", 15*time.Second, func() bool { return len(zr.problems(h.HostID)) == 0 })
	if v := testutil.ToFloat64(failedValues(t, reg)); v != 0 {
		t.Errorf("Zabbix rejected %v values", v)
	}
}

func failedValues(t *testing.T, g prometheus.Gatherer) prometheus.Collector {
	t.Helper()
	mfs, _ := g.Gather()
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "vigia_zabbix_values_failed_total" {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	c := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
	c.Set(sum)
	return c
}

// gate forwards TCP to the real trapper only while open, so a test can take "Zabbix" away.
type gate struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	open   bool
}

func newGate(t *testing.T, target string) *gate {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{l: l, target: target}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			g.mu.Lock()
			open := g.open
			g.mu.Unlock()
			if !open {
				_ = c.Close()
				continue
			}
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, c) }()
				_, _ = io.Copy(c, up)
			}()
		}
	}()
	return g
}

func (g *gate) set(open bool) { g.mu.Lock(); g.open = open; g.mu.Unlock() }

func TestValuesQueuedWhileZabbixIsDownAndSentAfter(t *testing.T) {
	api, user, pass, sender := testenv.Zabbix(t)
	zr := newRPC(t, api, user, pass)
	g := newGate(t, sender)
	prefix := unique()
	reg := prometheus.NewPedanticRegistry()
	n := newNotifier(t, config.ZabbixReceiver{Server: g.l.Addr().String(), API: api, Username: user, Password: probe.Secret(pass), HostPrefix: prefix, HostGroupPrefix: "SEI-" + prefix + "/", CacheDelay: 3 * time.Second, QueueSize: 50}, reg, nil)
	target := probe.Target{Name: "mgi-prod", URL: "https://sei.exemplo/", Owner: "MGI"}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := n.Provision(ctx, []probe.Target{target}, rules()); err != nil {
		t.Fatal(err)
	}
	go n.Run(ctx)
	h, _ := zr.host(prefix + "mgi-prod")

	// Zabbix unreachable: results and the alert state queue up.
	n.HandleResult(probe.Result{Target: target, Probe: probe.Health, Start: time.Now(), Duration: 300 * time.Millisecond, OK: false})
	if _, err := n.Notify(ctx, alertGroup("mgi-prod", alerting.StateFiring)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // past the cache delay: the sender has tried and failed
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP vigia_zabbix_queue_depth Values waiting to be sent to Zabbix, by queue.
# TYPE vigia_zabbix_queue_depth gauge
vigia_zabbix_queue_depth{queue="alerts",receiver="zabbix"} 1
vigia_zabbix_queue_depth{queue="values",receiver="zabbix"} 4
# HELP vigia_zabbix_up Whether the last exchange with the Zabbix trapper succeeded.
# TYPE vigia_zabbix_up gauge
vigia_zabbix_up{receiver="zabbix"} 0
`), "vigia_zabbix_queue_depth", "vigia_zabbix_up"); err != nil {
		t.Error(err)
	}

	// Zabbix back: everything lands and the problem opens.
	g.set(true)
	waitFor(t, "the queued alert state to open a problem", 45*time.Second, func() bool { return len(zr.problems(h.HostID)) == 1 })
	waitFor(t, "the queue to drain", 10*time.Second, func() bool {
		return testutil.CollectAndCount(reg, "vigia_zabbix_queue_depth") == 2 && zr.lastValue(h.HostID, "vigia.up") == "0"
	})
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP vigia_zabbix_queue_depth Values waiting to be sent to Zabbix, by queue.
# TYPE vigia_zabbix_queue_depth gauge
vigia_zabbix_queue_depth{queue="alerts",receiver="zabbix"} 0
vigia_zabbix_queue_depth{queue="values",receiver="zabbix"} 0
`), "vigia_zabbix_queue_depth"); err != nil {
		t.Error(err)
	}
	// Leave nothing open on the shared server.
	if _, err := n.Notify(ctx, alertGroup("mgi-prod", alerting.StateResolved)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the problem to resolve", 15*time.Second, func() bool { return len(zr.problems(h.HostID)) == 0 })
}

func TestFailedValuesReportedAndSecretsKeptOut(t *testing.T) {
	api, _, _, sender := testenv.Zabbix(t)
	reg := prometheus.NewPedanticRegistry()
	var logs bytes.Buffer
	// No API: vigia sends what it has, and Zabbix says which values it could not take.
	n := newNotifier(t, config.ZabbixReceiver{Server: sender}, reg, &logs)
	n.HandleResult(probe.Result{Target: probe.Target{Name: "no-such-host-" + unique()}, Probe: probe.Health, Start: time.Now(), OK: true})
	if sent, err := n.Flush(context.Background()); err != nil || sent != 4 {
		t.Fatalf("flush: %d %v", sent, err)
	}
	if v := testutil.ToFloat64(failedValues(t, reg)); v != 4 {
		t.Errorf("failed values counted %v, want 4", v)
	}
	if !strings.Contains(logs.String(), "zabbix rejected values") {
		t.Errorf("failures not reported in the log: %s", logs.String())
	}

	// A wrong password is reported without itself (an unknown user, so the shared Admin account
	// never collects failed logins and gets blocked).
	bad := newNotifier(t, config.ZabbixReceiver{Server: sender, API: api, Username: "vigia-nobody", Password: "Wr0ng-S3cret-pw"}, nil, &logs)
	err := bad.Provision(context.Background(), []probe.Target{{Name: "x", URL: "https://x.exemplo/"}}, nil)
	if err == nil {
		t.Fatal("want a login failure")
	}
	badTok := newNotifier(t, config.ZabbixReceiver{Server: sender, API: api, Token: "0123456789abcdef0123456789abcdefTOKEN"}, nil, &logs)
	err2 := badTok.Provision(context.Background(), []probe.Target{{Name: "x", URL: "https://x.exemplo/"}}, nil)
	if err2 == nil {
		t.Fatal("want a token failure")
	}
	for _, s := range []string{"Wr0ng-S3cret-pw", "0123456789abcdef0123456789abcdefTOKEN"} {
		if strings.Contains(err.Error(), s) || strings.Contains(err2.Error(), s) || strings.Contains(logs.String(), s) {
			t.Errorf("secret leaked: %v / %v / %s", err, err2, logs.String())
		}
	}
}

func TestAPITokenAuth(t *testing.T) {
	api, user, pass, sender := testenv.Zabbix(t)
	zr := newRPC(t, api, user, pass)
	var users []struct{ UserID string }
	zr.call("user.get", map[string]any{"filter": map[string]any{"username": user}, "output": []string{"userid"}}, &users)
	var created struct{ TokenIDs []string }
	zr.call("token.create", map[string]any{"name": "vigia " + unique(), "userid": users[0].UserID}, &created)
	t.Cleanup(func() { zr.call("token.delete", created.TokenIDs, nil) })
	var gen []struct{ Token string }
	zr.call("token.generate", created.TokenIDs, &gen)

	prefix := unique()
	n := newNotifier(t, config.ZabbixReceiver{Server: sender, API: api, Token: probe.Secret(gen[0].Token), HostPrefix: prefix, HostGroupPrefix: "SEI-" + prefix + "/"}, nil, nil)
	if err := n.Provision(context.Background(), []probe.Target{{Name: "tok", URL: "https://tok.exemplo/"}}, rules()); err != nil {
		t.Fatalf("provisioning with an API token: %v", err)
	}
	if _, ok := zr.host(prefix + "tok"); !ok {
		t.Error("host not created with the token")
	}
}

// TestNewStepsComponentsAndModulesAreProvisionedWhenSeen: items for synthetic steps, drift
// components and modules are created from the first result that names them; later results land;
// a restarted vigia keeps them.
func TestNewStepsComponentsAndModulesAreProvisionedWhenSeen(t *testing.T) {
	api, user, pass, sender := testenv.Zabbix(t)
	zr := newRPC(t, api, user, pass)
	prefix := unique()
	cfg := config.ZabbixReceiver{Server: sender, API: api, Username: user, Password: probe.Secret(pass), HostPrefix: prefix, HostGroupPrefix: "SEI-" + prefix + "/", CacheDelay: 3 * time.Second}
	reg := prometheus.NewPedanticRegistry()
	n := newNotifier(t, cfg, reg, nil)
	target := probe.Target{Name: "mgi-prod", URL: "https://sei.exemplo/", Owner: "MGI"}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := n.Provision(ctx, []probe.Target{target}, rules()); err != nil {
		t.Fatal(err)
	}
	go n.Run(ctx)
	h, _ := zr.host(prefix + "mgi-prod")
	up := false
	result := func() probe.Result {
		return probe.Result{
			Target: target, Probe: probe.Synthetic, Start: time.Now(), Duration: 2 * time.Second, OK: false,
			Steps:   []probe.Step{{Name: "login", Duration: 800 * time.Millisecond, OK: true}, {Name: "pesquisa rápida", Duration: 1200 * time.Millisecond}},
			Drift:   []probe.Drift{{Component: "sei", Level: "major"}},
			Modules: []probe.Module{{Name: "mod-sei-pen", Up: &up}},
		}
	}
	n.HandleResult(result())
	waitFor(t, "the new items", 30*time.Second, func() bool {
		var items []struct {
			Key string `json:"key_"`
		}
		zr.call("item.get", map[string]any{"hostids": []string{h.HostID}, "output": []string{"key_"}, "search": map[string]any{"key_": "vigia.synthetic.step"}}, &items)
		return len(items) == 2
	})
	waitFor(t, "values of the new items", 30*time.Second, func() bool {
		n.HandleResult(result())
		return zr.lastValue(h.HostID, `vigia.synthetic.step.duration["pesquisa rápida"]`) == "1.2" &&
			zr.lastValue(h.HostID, "vigia.drift[sei]") == "3" && zr.lastValue(h.HostID, "vigia.module.up[mod-sei-pen]") == "0"
	})

	// A restarted vigia has forgotten the steps it saw, and must neither disable nor recreate them.
	n2 := newNotifier(t, cfg, nil, nil)
	if err := n2.Provision(ctx, []probe.Target{target}, rules()); err != nil {
		t.Fatal(err)
	}
	if c := n2.LastReport().Changes(); c != 0 {
		t.Errorf("restart changed %d objects: %+v", c, n2.LastReport())
	}
}
