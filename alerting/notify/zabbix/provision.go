package zabbix

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/alerting/notify/templates"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/config"
)

// Tag that marks what vigia manages; hosts without it are never disabled by vigia.
const (
	managedTag   = "managed-by"
	managedValue = "vigia"
	ruleTag      = "vigia.rule"
	chunk        = 500
)

var zabbixPriority = map[string]int{"not_classified": 0, "information": 1, "warning": 2, "average": 3, "high": 4, "disaster": 5}

// defaultSeverities maps vigia severities to Zabbix ones when the config does not.
var defaultSeverities = map[string]string{"critical": "high", "warning": "warning", "info": "information"}

// Report says what one provisioning run changed, by object (hostgroup, host, valuemap, item,
// trigger).
type Report struct {
	At       time.Time
	Version  string
	Hosts    int
	Created  map[string]int
	Updated  map[string]int
	Disabled map[string]int
}

// Changes is the number of objects the run created, updated or disabled.
func (r Report) Changes() int {
	n := 0
	for _, m := range []map[string]int{r.Created, r.Updated, r.Disabled} {
		for _, c := range m {
			n += c
		}
	}
	return n
}

type hostSpec struct {
	host        string
	group       string
	tags        map[string]string
	description string
	items       map[string]itemSpec
	triggers    map[string]triggerSpec // by rule
}

type triggerSpec struct {
	rule        string
	description string
	expression  string
	priority    int
	comments    string
	url         string
}

func (n *Notifier) hostName(instance string) string { return n.cfg.HostPrefix + instance }

func (n *Notifier) groupName(owner string) string {
	if owner == "" {
		owner = "sem responsável"
	}
	return n.cfg.HostGroupPrefix + owner
}

// desired computes what Zabbix should hold for the fleet.
func (n *Notifier) desired(targets []probe.Target, rules []config.Rule) (map[string]*hostSpec, error) {
	out := make(map[string]*hostSpec, len(targets))
	triggers := make([]triggerSpec, 0, len(rules))
	ruleNames := make([]string, 0, len(rules))
	for _, r := range rules {
		name, err := n.tmpl.Text(templates.ZabbixTriggerName, r, templates.Plain)
		if err != nil {
			return nil, fmt.Errorf("trigger name for %s: %w", r.Alert, err)
		}
		comments, err := n.tmpl.Text(templates.ZabbixTriggerComment, r, templates.Plain)
		if err != nil {
			return nil, fmt.Errorf("trigger comments for %s: %w", r.Alert, err)
		}
		sev := r.Severity
		if sev == "" {
			sev = "warning"
		}
		zs := n.cfg.Severities[sev]
		if zs == "" {
			zs = defaultSeverities[sev]
		}
		url := r.Annotations["runbook_url"]
		if strings.Contains(url, "{{") || len(url) > 255 {
			url = ""
		}
		triggers = append(triggers, triggerSpec{rule: r.Alert, description: name, priority: zabbixPriority[zs], comments: comments, url: url})
		ruleNames = append(ruleNames, r.Alert)
	}
	for _, t := range targets {
		h := &hostSpec{
			host:        n.hostName(t.Name),
			group:       n.groupName(t.Owner),
			tags:        map[string]string{managedTag: managedValue},
			description: "Instância do SEI monitorada pelo vigia: " + probe.SafeURL(t.URL),
			items:       map[string]itemSpec{},
			triggers:    map[string]triggerSpec{},
		}
		if t.Owner != "" {
			h.tags["owner"] = t.Owner
		}
		if t.Environment != "" {
			h.tags["environment"] = t.Environment
		}
		for k, v := range t.Labels {
			if _, reserved := h.tags[k]; !reserved {
				h.tags[k] = v
			}
		}
		probes := t.Probes
		if len(probes) == 0 {
			probes = config.ProbeNames
		}
		for _, it := range staticItems(probes, ruleNames) {
			h.items[it.Key] = it
		}
		for _, it := range n.dynamicFor(h.host) {
			h.items[it.Key] = it
		}
		for _, tr := range triggers {
			tr.expression = fmt.Sprintf("last(/%s/%s)=1", h.host, key(KeyAlert, tr.rule))
			h.triggers[tr.rule] = tr
		}
		out[h.host] = h
	}
	return out, nil
}

// Provision makes Zabbix hold a host, items and triggers for every target and rule, changing
// only what is missing or differs, and disables the hosts vigia manages that left the fleet.
// Give it the whole fleet (not one shard): hosts it is not given are disabled.
func (n *Notifier) Provision(ctx context.Context, targets []probe.Target, rules []config.Rule) error {
	if n.cfg.API == "" {
		return fmt.Errorf("zabbix: provisioning needs api (the JSON-RPC URL)")
	}
	n.provMu.Lock()
	defer n.provMu.Unlock()
	n.mu.Lock()
	n.lastTargets = append([]probe.Target(nil), targets...)
	n.lastRules = append([]config.Rule(nil), rules...)
	n.mu.Unlock()
	rep, err := n.provision(ctx, targets, rules)
	result := "ok"
	if err != nil {
		result = "error"
	}
	n.met.provisions.WithLabelValues(result).Inc()
	if err != nil {
		n.log.Error("zabbix provisioning failed", "err", err)
		return err
	}
	n.log.Info("zabbix provisioning done", "version", rep.Version, "hosts", rep.Hosts, "created", rep.Created, "updated", rep.Updated, "disabled", rep.Disabled)
	return nil
}

// LastReport returns what the last successful provisioning run changed.
func (n *Notifier) LastReport() Report {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.report
}

func (n *Notifier) provision(ctx context.Context, targets []probe.Target, rules []config.Rule) (Report, error) {
	rep := Report{At: time.Now(), Created: map[string]int{}, Updated: map[string]int{}, Disabled: map[string]int{}}
	want, err := n.desired(targets, rules)
	if err != nil {
		return rep, fmt.Errorf("zabbix: %w", err)
	}
	a, err := connect(ctx, n.cfg, n.apiTransport, n.timeout)
	if err != nil {
		return rep, fmt.Errorf("zabbix: %w", err)
	}
	defer a.close()
	rep.Version = a.version.String()
	n.mu.Lock()
	n.version = rep.Version
	n.mu.Unlock()
	rep.Hosts = len(want)

	groupIDs, err := n.ensureGroups(a, want, &rep)
	if err != nil {
		return rep, fmt.Errorf("zabbix: host groups: %w", err)
	}
	proxyID := ""
	if n.cfg.Proxy != "" {
		if proxyID, err = n.proxyID(a); err != nil {
			return rep, fmt.Errorf("zabbix: %w", err)
		}
	}
	hostIDs, err := n.ensureHosts(a, want, groupIDs, proxyID, &rep)
	if err != nil {
		return rep, fmt.Errorf("zabbix: hosts: %w", err)
	}
	vmIDs, err := n.ensureValueMaps(a, hostIDs, &rep)
	if err != nil {
		return rep, fmt.Errorf("zabbix: value maps: %w", err)
	}
	keys, err := n.ensureItems(a, want, hostIDs, vmIDs, &rep)
	if err != nil {
		return rep, fmt.Errorf("zabbix: items: %w", err)
	}
	if err := n.ensureTriggers(a, want, hostIDs, &rep); err != nil {
		return rep, fmt.Errorf("zabbix: triggers: %w", err)
	}
	for obj, c := range rep.Created {
		n.met.changes.WithLabelValues(obj, "create").Add(float64(c))
	}
	for obj, c := range rep.Updated {
		n.met.changes.WithLabelValues(obj, "update").Add(float64(c))
	}
	for obj, c := range rep.Disabled {
		n.met.changes.WithLabelValues(obj, "disable").Add(float64(c))
	}
	n.mu.Lock()
	n.provisioned = keys
	n.report = rep
	n.lastProvision = time.Now()
	n.dirty = false
	if rep.Created["item"] > 0 || rep.Created["host"] > 0 || rep.Updated["host"] > 0 || rep.Updated["item"] > 0 {
		// New or re-enabled items take values only once the server's configuration cache has
		// reloaded: hold the queue until then instead of losing the values as "failed".
		n.holdUntil = time.Now().Add(n.cacheDelay)
	}
	n.mu.Unlock()
	n.wake()
	return rep, nil
}

func (n *Notifier) ensureGroups(a *api, want map[string]*hostSpec, rep *Report) (map[string]string, error) {
	names := map[string]bool{}
	for _, h := range want {
		names[h.group] = true
	}
	list := sortedSet(names)
	ids := map[string]string{}
	if len(list) == 0 {
		return ids, nil
	}
	var got []struct {
		GroupID string `json:"groupid"`
		Name    string `json:"name"`
	}
	if err := a.call("hostgroup.get", map[string]any{"output": []string{"groupid", "name"}, "filter": map[string]any{"name": list}}, &got); err != nil {
		return nil, err
	}
	for _, g := range got {
		ids[g.Name] = g.GroupID
	}
	for _, name := range list {
		if ids[name] != "" {
			continue
		}
		var res struct {
			GroupIDs []string `json:"groupids"`
		}
		if err := a.call("hostgroup.create", map[string]any{"name": name}, &res); err != nil {
			return nil, err
		}
		if len(res.GroupIDs) == 1 {
			ids[name] = res.GroupIDs[0]
		}
		rep.Created["hostgroup"]++
	}
	return ids, nil
}

func (n *Notifier) proxyID(a *api) (string, error) {
	field := "host"
	if a.atLeast(v70) {
		field = "name"
	}
	var got []struct {
		ProxyID string `json:"proxyid"`
	}
	if err := a.call("proxy.get", map[string]any{"output": []string{"proxyid"}, "filter": map[string]any{field: []string{n.cfg.Proxy}}}, &got); err != nil {
		return "", err
	}
	if len(got) != 1 {
		return "", fmt.Errorf("proxy %q not found in Zabbix: create it or fix zabbix.proxy", n.cfg.Proxy)
	}
	return got[0].ProxyID, nil
}

type zTag struct {
	Tag   string `json:"tag"`
	Value string `json:"value"`
}

type zHost struct {
	HostID      string `json:"hostid"`
	Host        string `json:"host"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Description string `json:"description"`
	TLSAccept   string `json:"tls_accept"`
	TLSIssuer   string `json:"tls_issuer"`
	TLSSubject  string `json:"tls_subject"`
	ProxyHostID string `json:"proxy_hostid"`
	ProxyID     string `json:"proxyid"`
	Tags        []zTag `json:"tags"`
	Groups      []struct {
		GroupID string `json:"groupid"`
		Name    string `json:"name"`
	} `json:"groups"`
	HostGroups []struct {
		GroupID string `json:"groupid"`
		Name    string `json:"name"`
	} `json:"hostgroups"`
}

func (n *Notifier) ensureHosts(a *api, want map[string]*hostSpec, groupIDs map[string]string, proxyID string, rep *Report) (map[string]string, error) {
	out := []string{"hostid", "host", "name", "status", "description", "tls_accept", "tls_issuer", "tls_subject"}
	proxyField := "proxy_hostid"
	if a.atLeast(v70) {
		proxyField = "proxyid"
		out = append(out, "monitored_by")
	}
	out = append(out, proxyField)
	base := map[string]any{"output": out, "selectTags": "extend"}
	if a.atLeast(v62) {
		base["selectHostGroups"] = []string{"groupid", "name"}
	} else {
		base["selectGroups"] = []string{"groupid", "name"}
	}
	existing := map[string]zHost{}
	// Hosts vigia manages are tagged; with a host prefix, only those under it are this vigia's
	// (two vigias sharing a Zabbix need distinct prefixes).
	managed := map[string]any{"tags": []map[string]any{{"tag": managedTag, "value": managedValue, "operator": 1}}}
	if n.cfg.HostPrefix != "" {
		managed["search"] = map[string]any{"host": n.cfg.HostPrefix}
		managed["startSearch"] = true
	}
	queries := []map[string]any{managed}
	names := make([]string, 0, len(want))
	for h := range want {
		names = append(names, h)
	}
	sort.Strings(names)
	for i := 0; i < len(names); i += chunk {
		queries = append(queries, map[string]any{"filter": map[string]any{"host": names[i:min(i+chunk, len(names))]}})
	}
	for _, q := range queries {
		for k, v := range base {
			q[k] = v
		}
		var got []zHost
		if err := a.call("host.get", q, &got); err != nil {
			return nil, err
		}
		for _, h := range got {
			h.Groups = append(h.Groups, h.HostGroups...)
			existing[h.Host] = h
		}
	}
	tlsAccept, issuer, subject := "1", "", ""
	if t := n.cfg.TLS; t != nil {
		tlsAccept, issuer, subject = "4", t.Issuer, t.Subject
	}
	ids := map[string]string{}
	var creates, updates []map[string]any
	for _, name := range names {
		h := want[name]
		gid := groupIDs[h.group]
		fields := map[string]any{
			"name": h.host, "description": h.description, "status": "0",
			"tls_accept": tlsAccept, "tls_issuer": issuer, "tls_subject": subject, "tls_connect": "1",
		}
		if a.atLeast(v70) {
			if proxyID != "" {
				fields["monitored_by"] = "1"
				fields[proxyField] = proxyID
			} else {
				fields["monitored_by"] = "0"
			}
		} else {
			fields[proxyField] = orZero(proxyID)
		}
		cur, ok := existing[name]
		if !ok {
			fields["host"] = h.host
			fields["groups"] = []map[string]string{{"groupid": gid}}
			fields["tags"] = tagList(h.tags)
			creates = append(creates, fields)
			continue
		}
		ids[name] = cur.HostID
		upd := map[string]any{}
		if cur.Name != h.host {
			upd["name"] = h.host
		}
		if cur.Description != h.description {
			upd["description"] = h.description
		}
		if cur.Status != "0" {
			upd["status"] = "0"
		}
		if cur.TLSAccept != tlsAccept || cur.TLSIssuer != issuer || cur.TLSSubject != subject {
			upd["tls_accept"], upd["tls_issuer"], upd["tls_subject"] = tlsAccept, issuer, subject
		}
		curProxy := cur.ProxyHostID
		if a.atLeast(v70) {
			curProxy = cur.ProxyID
		}
		if orZero(curProxy) != orZero(proxyID) {
			upd[proxyField] = fields[proxyField]
			if mb, ok := fields["monitored_by"]; ok {
				upd["monitored_by"] = mb
			}
		}
		if !sameTags(cur.Tags, h.tags) {
			upd["tags"] = tagList(h.tags)
		}
		// The owner's group is vigia's; groups an operator added outside the prefix stay.
		groups := []map[string]string{{"groupid": gid}}
		hasOwn, stale := false, false
		for _, g := range cur.Groups {
			switch {
			case g.GroupID == gid:
				hasOwn = true
			case strings.HasPrefix(g.Name, n.cfg.HostGroupPrefix):
				stale = true
			default:
				groups = append(groups, map[string]string{"groupid": g.GroupID})
			}
		}
		if !hasOwn || stale {
			upd["groups"] = groups
		}
		if len(upd) > 0 {
			upd["hostid"] = cur.HostID
			updates = append(updates, upd)
		}
	}
	var disables []map[string]any
	for name, cur := range existing {
		if _, wanted := want[name]; wanted || cur.Status == "1" || !hasTag(cur.Tags, managedTag, managedValue) || !strings.HasPrefix(name, n.cfg.HostPrefix) {
			continue
		}
		disables = append(disables, map[string]any{"hostid": cur.HostID, "status": "1"})
	}
	if err := createBatched(a, "host", "host", creates, ids); err != nil {
		return nil, err
	}
	rep.Created["host"] += len(creates)
	if err := batched(a, "host.update", updates); err != nil {
		return nil, err
	}
	rep.Updated["host"] += len(updates)
	if err := batched(a, "host.update", disables); err != nil {
		return nil, err
	}
	rep.Disabled["host"] += len(disables)
	return ids, nil
}

func (n *Notifier) ensureValueMaps(a *api, hostIDs map[string]string, rep *Report) (map[string]string, error) {
	want := []map[string]string{}
	levels := make([]string, 0, len(DriftValue))
	for l := range DriftValue {
		levels = append(levels, l)
	}
	sort.Slice(levels, func(i, j int) bool { return DriftValue[levels[i]] < DriftValue[levels[j]] })
	wantSet := map[string]string{}
	for _, l := range levels {
		v := num(DriftValue[l])
		want = append(want, map[string]string{"type": "0", "value": v, "newvalue": driftText[l]})
		wantSet[v] = driftText[l]
	}
	ids := map[string]string{}
	hids := sortedValues(hostIDs)
	existing := map[string]struct {
		id   string
		maps map[string]string
	}{}
	for i := 0; i < len(hids); i += chunk {
		var got []struct {
			ValueMapID string `json:"valuemapid"`
			HostID     string `json:"hostid"`
			Mappings   []struct {
				Value    string `json:"value"`
				NewValue string `json:"newvalue"`
			} `json:"mappings"`
		}
		q := map[string]any{"output": []string{"valuemapid", "hostid", "name"}, "hostids": hids[i:min(i+chunk, len(hids))], "filter": map[string]any{"name": driftValueMapName}, "selectMappings": "extend"}
		if err := a.call("valuemap.get", q, &got); err != nil {
			return nil, err
		}
		for _, vm := range got {
			m := map[string]string{}
			for _, mp := range vm.Mappings {
				m[mp.Value] = mp.NewValue
			}
			existing[vm.HostID] = struct {
				id   string
				maps map[string]string
			}{vm.ValueMapID, m}
		}
	}
	var creates, updates []map[string]any
	for _, hid := range hids {
		cur, ok := existing[hid]
		switch {
		case !ok:
			creates = append(creates, map[string]any{"hostid": hid, "name": driftValueMapName, "mappings": want})
		case !sameMap(cur.maps, wantSet):
			ids[hid] = cur.id
			updates = append(updates, map[string]any{"valuemapid": cur.id, "mappings": want})
		default:
			ids[hid] = cur.id
		}
	}
	if err := createBatched(a, "valuemap", "hostid", creates, ids); err != nil {
		return nil, err
	}
	rep.Created["valuemap"] += len(creates)
	if err := batched(a, "valuemap.update", updates); err != nil {
		return nil, err
	}
	rep.Updated["valuemap"] += len(updates)
	return ids, nil
}

type zItem struct {
	ItemID     string `json:"itemid"`
	HostID     string `json:"hostid"`
	Key        string `json:"key_"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	ValueType  string `json:"value_type"`
	Units      string `json:"units"`
	Status     string `json:"status"`
	ValueMapID string `json:"valuemapid"`
	Tags       []zTag `json:"tags"`
}

// ensureItems creates and updates items; it returns, per host, every key that can take values.
func (n *Notifier) ensureItems(a *api, want map[string]*hostSpec, hostIDs, vmIDs map[string]string, rep *Report) (map[string]map[string]bool, error) {
	byHost := map[string]map[string]zItem{}
	hids := sortedValues(hostIDs)
	for i := 0; i < len(hids); i += chunk / 5 {
		var got []zItem
		q := map[string]any{
			"output":      []string{"itemid", "hostid", "key_", "name", "type", "value_type", "units", "status", "valuemapid"},
			"hostids":     hids[i:min(i+chunk/5, len(hids))],
			"search":      map[string]any{"key_": "vigia."},
			"startSearch": true,
			"selectTags":  "extend",
		}
		if err := a.call("item.get", q, &got); err != nil {
			return nil, err
		}
		for _, it := range got {
			if byHost[it.HostID] == nil {
				byHost[it.HostID] = map[string]zItem{}
			}
			byHost[it.HostID][it.Key] = it
		}
	}
	keys := map[string]map[string]bool{}
	var creates, updates, disables []map[string]any
	for _, name := range sortedKeys(want) {
		h := want[name]
		hid := hostIDs[name]
		if hid == "" {
			continue
		}
		keys[name] = map[string]bool{}
		cur := byHost[hid]
		for _, k := range sortedKeys(h.items) {
			spec := h.items[k]
			keys[name][k] = true
			vm := "0"
			if spec.ValueMap != "" {
				vm = orZero(vmIDs[hid])
			}
			it, ok := cur[k]
			if !ok {
				c := map[string]any{
					"hostid": hid, "key_": k, "name": spec.Name, "type": "2", "value_type": fmt.Sprint(spec.ValueType),
					"units": spec.Units, "tags": tagList(spec.Tags), "valuemapid": vm,
				}
				creates = append(creates, c)
				continue
			}
			upd := map[string]any{}
			if it.Name != spec.Name {
				upd["name"] = spec.Name
			}
			if it.ValueType != fmt.Sprint(spec.ValueType) {
				upd["value_type"] = fmt.Sprint(spec.ValueType)
			}
			if it.Units != spec.Units {
				upd["units"] = spec.Units
			}
			if it.Status != "0" {
				upd["status"] = "0"
			}
			if orZero(it.ValueMapID) != vm {
				upd["valuemapid"] = vm
			}
			if !sameTags(it.Tags, spec.Tags) {
				upd["tags"] = tagList(spec.Tags)
			}
			if it.Type != "2" {
				upd["type"] = "2"
			}
			if len(upd) > 0 {
				upd["itemid"] = it.ItemID
				updates = append(updates, upd)
			}
		}
		for k, it := range cur {
			if h.items[k].Key != "" {
				continue
			}
			if dynamicKey(k) {
				// Steps, components and modules seen before a restart: keep feeding them.
				if it.Status == "0" {
					keys[name][k] = true
				}
				continue
			}
			if it.Status == "0" {
				disables = append(disables, map[string]any{"itemid": it.ItemID, "status": "1"})
			}
		}
	}
	if err := batched(a, "item.create", creates); err != nil {
		return nil, err
	}
	rep.Created["item"] += len(creates)
	if err := batched(a, "item.update", updates); err != nil {
		return nil, err
	}
	rep.Updated["item"] += len(updates)
	if err := batched(a, "item.update", disables); err != nil {
		return nil, err
	}
	rep.Disabled["item"] += len(disables)
	return keys, nil
}

func dynamicKey(k string) bool {
	for _, base := range []string{KeyStepDuration, KeyDrift, KeyModuleUp, KeyVersion} {
		if strings.HasPrefix(k, base+"[") {
			return true
		}
	}
	return false
}

type zTrigger struct {
	TriggerID   string `json:"triggerid"`
	Description string `json:"description"`
	Expression  string `json:"expression"`
	Priority    string `json:"priority"`
	Comments    string `json:"comments"`
	Status      string `json:"status"`
	ManualClose string `json:"manual_close"`
	URL         string `json:"url"`
	Tags        []zTag `json:"tags"`
	Hosts       []struct {
		HostID string `json:"hostid"`
	} `json:"hosts"`
}

func (n *Notifier) ensureTriggers(a *api, want map[string]*hostSpec, hostIDs map[string]string, rep *Report) error {
	byHost := map[string]map[string]zTrigger{}
	hids := sortedValues(hostIDs)
	for i := 0; i < len(hids); i += chunk / 5 {
		var got []zTrigger
		q := map[string]any{
			"output":           []string{"triggerid", "description", "expression", "priority", "comments", "status", "manual_close", "url"},
			"hostids":          hids[i:min(i+chunk/5, len(hids))],
			"selectTags":       "extend",
			"selectHosts":      []string{"hostid"},
			"expandExpression": true,
		}
		if err := a.call("trigger.get", q, &got); err != nil {
			return err
		}
		for _, tr := range got {
			rule := tagValue(tr.Tags, ruleTag)
			if rule == "" || len(tr.Hosts) != 1 {
				continue
			}
			hid := tr.Hosts[0].HostID
			if byHost[hid] == nil {
				byHost[hid] = map[string]zTrigger{}
			}
			byHost[hid][rule] = tr
		}
	}
	var creates, updates, disables []map[string]any
	for _, name := range sortedKeys(want) {
		h := want[name]
		hid := hostIDs[name]
		if hid == "" {
			continue
		}
		cur := byHost[hid]
		for _, rule := range sortedKeys(h.triggers) {
			spec := h.triggers[rule]
			tags := map[string]string{ruleTag: rule, managedTag: managedValue}
			tr, ok := cur[rule]
			if !ok {
				creates = append(creates, map[string]any{
					"description": spec.description, "expression": spec.expression, "priority": fmt.Sprint(spec.priority),
					"comments": spec.comments, "url": spec.url, "manual_close": "1", "tags": tagList(tags),
				})
				continue
			}
			upd := map[string]any{}
			if tr.Description != spec.description {
				upd["description"] = spec.description
			}
			if tr.Expression != spec.expression {
				upd["expression"] = spec.expression
			}
			if tr.Priority != fmt.Sprint(spec.priority) {
				upd["priority"] = fmt.Sprint(spec.priority)
			}
			if tr.Comments != spec.comments {
				upd["comments"] = spec.comments
			}
			if tr.URL != spec.url {
				upd["url"] = spec.url
			}
			if tr.Status != "0" {
				upd["status"] = "0"
			}
			if tr.ManualClose != "1" {
				upd["manual_close"] = "1"
			}
			if !sameTags(tr.Tags, tags) {
				upd["tags"] = tagList(tags)
			}
			if len(upd) > 0 {
				upd["triggerid"] = tr.TriggerID
				updates = append(updates, upd)
			}
		}
		for rule, tr := range cur {
			if _, ok := h.triggers[rule]; !ok && tr.Status == "0" {
				disables = append(disables, map[string]any{"triggerid": tr.TriggerID, "status": "1"})
			}
		}
	}
	if err := batched(a, "trigger.create", creates); err != nil {
		return err
	}
	rep.Created["trigger"] += len(creates)
	if err := batched(a, "trigger.update", updates); err != nil {
		return err
	}
	rep.Updated["trigger"] += len(updates)
	if err := batched(a, "trigger.update", disables); err != nil {
		return err
	}
	rep.Disabled["trigger"] += len(disables)
	return nil
}

// createBatched creates objects of a Zabbix type (host, valuemap, …) in chunks and records each new
// id in ids under the object's key field (Zabbix answers {"<type>ids": [...]} in request order).
func createBatched(a *api, typ, key string, creates []map[string]any, ids map[string]string) error {
	for i := 0; i < len(creates); i += chunk {
		batch := creates[i:min(i+chunk, len(creates))]
		var res map[string][]string
		if err := a.call(typ+".create", batch, &res); err != nil {
			return err
		}
		for j, id := range res[typ+"ids"] {
			ids[batch[j][key].(string)] = id
		}
	}
	return nil
}

func batched(a *api, method string, objs []map[string]any) error {
	for i := 0; i < len(objs); i += chunk {
		var res json.RawMessage
		if err := a.call(method, objs[i:min(i+chunk, len(objs))], &res); err != nil {
			return err
		}
	}
	return nil
}

func tagList(m map[string]string) []zTag {
	out := make([]zTag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, zTag{Tag: k, Value: m[k]})
	}
	return out
}

func sameTags(have []zTag, want map[string]string) bool {
	if len(have) != len(want) {
		return false
	}
	for _, t := range have {
		if v, ok := want[t.Tag]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

func hasTag(tags []zTag, k, v string) bool {
	for _, t := range tags {
		if t.Tag == k && t.Value == v {
			return true
		}
	}
	return false
}

func tagValue(tags []zTag, k string) string {
	for _, t := range tags {
		if t.Tag == k {
			return t.Value
		}
	}
	return ""
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSet(m map[string]bool) []string { return sortedKeys(m) }

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
