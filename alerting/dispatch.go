package alerting

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dAlert is a firing or resolved alert as the dispatcher holds it.
type dAlert struct {
	a      Alert
	groups map[string]struct{}
}

// aggrGroup is the alerts of one route node, one receiver and one set of group_by values.
type aggrGroup struct {
	id       string // receiver + NUL + key; also the notification-log key
	key      string
	receiver string
	route    *route
	labels   map[string]string
	fps      map[string]struct{}
	next     time.Time // next flush: group_wait after creation, then every group_interval
}

// job is one group update for one receiver.
type job struct {
	gid        string
	receiver   string
	group      *Group
	firingIDs  []string
	resolveIDs []string
	repeat     time.Duration
}

// dispatcher routes alerts into groups and decides, per receiver, what is news. It is driven by
// the dispatch loop (ingest, flush) and by the receiver workers (prepare, sent).
type dispatcher struct {
	mu           sync.Mutex
	root         *route
	groups       map[string]*aggrGroup
	alerts       map[string]*dAlert
	inhib        *inhibitor
	sendResolved map[string]bool
	externalURL  string
	nflog        map[string]nflogEntry
	// pendingOps are store writes decided under mu, committed by the next pass.
	pendingOps []storeOp
}

func newDispatcher(root *route, inhib *inhibitor, sendResolved map[string]bool, externalURL string) *dispatcher {
	return &dispatcher{
		root: root, inhib: inhib, sendResolved: sendResolved, externalURL: externalURL,
		groups: map[string]*aggrGroup{}, alerts: map[string]*dAlert{}, nflog: map[string]nflogEntry{},
	}
}

// alertID names one incident of a series: an alert that resolves and fires again is a new one.
func alertID(a *Alert) string {
	return a.Fingerprint + "@" + strconv.FormatInt(a.StartsAt.UnixNano(), 10)
}

func resolvedKey(a *Alert) string { return alertID(a) }

// ingest takes a firing or resolved alert from the evaluator (or the store at start).
func (d *dispatcher) ingest(a Alert, now time.Time) {
	if a.State != StateFiring && a.State != StateResolved {
		return
	}
	da := d.alerts[a.Fingerprint]
	if da == nil {
		da = &dAlert{a: a, groups: map[string]struct{}{}}
		d.alerts[a.Fingerprint] = da
	} else {
		if da.a.State == StateResolved && alertID(&da.a) != alertID(&a) {
			// The series fired again before its resolution was sent: that resolution is moot.
			d.pendingOps = append(d.pendingOps, storeOp{bucket: bucketResolved, key: resolvedKey(&da.a)})
		}
		da.a = a
	}
	if len(da.groups) == 0 {
		d.route(da, now)
	}
	d.inhib.observe(&da.a)
	if len(da.groups) == 0 && da.a.State == StateResolved {
		d.forget(da)
	}
}

func (d *dispatcher) route(da *dAlert, now time.Time) {
	// group_wait counts from the alert's own transition, not from when this pass saw it.
	since := da.a.StartsAt
	if da.a.State == StateResolved {
		since = da.a.EndsAt
	}
	if since.IsZero() || since.After(now) {
		since = now
	}
	for _, r := range d.root.matchRoutes(da.a.Labels) {
		if len(r.receivers) == 0 {
			continue
		}
		gl := r.groupLabels(da.a.Labels)
		key := r.key + ":" + labelsString(gl)
		for _, recv := range r.receivers {
			gid := recv + "\x00" + key
			g := d.groups[gid]
			if g == nil {
				g = &aggrGroup{
					id: gid, key: key, receiver: recv, route: r, labels: gl,
					fps: map[string]struct{}{}, next: since.Add(r.groupWait),
				}
				d.groups[gid] = g
			}
			g.fps[da.a.Fingerprint] = struct{}{}
			da.groups[gid] = struct{}{}
		}
	}
}

// leave takes an alert out of one group; a resolved alert in no group is done.
func (d *dispatcher) leave(da *dAlert, gid string) {
	if g := d.groups[gid]; g != nil {
		delete(g.fps, da.a.Fingerprint)
	}
	delete(da.groups, gid)
	if len(da.groups) == 0 && da.a.State == StateResolved {
		d.forget(da)
	}
}

func (d *dispatcher) forget(da *dAlert) {
	delete(d.alerts, da.a.Fingerprint)
	d.inhib.forget(&da.a)
	d.pendingOps = append(d.pendingOps, storeOp{bucket: bucketResolved, key: resolvedKey(&da.a)})
}

// muted tells whether an alert is silenced or inhibited now.
func (d *dispatcher) muted(a *Alert, active []*compiledSilence) bool {
	return len(silencedBy(active, a.Labels)) > 0 || d.inhib.inhibited(a.Fingerprint, a.Labels)
}

// flush visits every group whose timer is due and returns the updates to send.
func (d *dispatcher) flush(now time.Time, active []*compiledSilence) []*job {
	var jobs []*job
	for gid, g := range d.groups {
		if g.next.After(now) {
			continue
		}
		g.next = now.Add(g.route.groupInterval)
		if j := d.flushGroup(g, now, active); j != nil {
			jobs = append(jobs, j)
		}
		if len(g.fps) == 0 {
			delete(d.groups, gid)
		}
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].gid < jobs[j].gid })
	return jobs
}

func (d *dispatcher) flushGroup(g *aggrGroup, now time.Time, active []*compiledSilence) *job {
	entry, has := d.nflog[g.id]
	sendResolved := d.sendsResolved(g.receiver)
	var firing, resolved []*dAlert
	for fp := range g.fps {
		da := d.alerts[fp]
		if da == nil {
			delete(g.fps, fp)
			continue
		}
		switch da.a.State {
		case StateFiring:
			if !d.muted(&da.a, active) {
				firing = append(firing, da)
			}
		case StateResolved:
			// A resolution is sent only to a receiver that was told the alert fired: no
			// "resolved" for what nobody saw, and never twice.
			if sendResolved && has && containsSorted(entry.Firing, alertID(&da.a)) {
				resolved = append(resolved, da)
			} else {
				d.leave(da, g.id)
			}
		}
	}
	firingIDs := ids(firing)
	if !needsUpdate(has, entry, firingIDs, len(resolved) > 0, g.route.repeatInterval, now) {
		return nil
	}
	return &job{
		gid: g.id, receiver: g.receiver, group: d.payload(g, firing, resolved),
		firingIDs: firingIDs, resolveIDs: ids(resolved), repeat: g.route.repeatInterval,
	}
}

func (d *dispatcher) sendsResolved(receiver string) bool {
	v, ok := d.sendResolved[receiver]
	return !ok || v
}

func ids(list []*dAlert) []string {
	out := make([]string, len(list))
	for i, da := range list {
		out[i] = alertID(&da.a)
	}
	sort.Strings(out)
	return out
}

func containsSorted(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}

// needsUpdate decides whether a receiver must hear about a group: something fires that it was
// not told about, something it was told about resolved, or the repeat interval has passed.
func needsUpdate(has bool, entry nflogEntry, firingIDs []string, resolving bool, repeat time.Duration, now time.Time) bool {
	if !has {
		return len(firingIDs) > 0
	}
	for _, id := range firingIDs {
		if !containsSorted(entry.Firing, id) {
			return true
		}
	}
	if resolving {
		return true
	}
	return len(firingIDs) > 0 && !now.Before(entry.SentAt.Add(repeat))
}

func (d *dispatcher) payload(g *aggrGroup, firing, resolved []*dAlert) *Group {
	alerts := make([]Alert, 0, len(firing)+len(resolved))
	for _, da := range firing {
		alerts = append(alerts, da.a)
	}
	for _, da := range resolved {
		alerts = append(alerts, da.a)
	}
	sortAlerts(alerts)
	status := StateResolved
	if len(firing) > 0 {
		status = StateFiring
	}
	gl := make(map[string]string, len(g.labels))
	for k, v := range g.labels {
		gl[k] = v
	}
	return &Group{
		Key: g.key, Receiver: g.receiver, Status: status, GroupLabels: gl,
		CommonLabels: commonLabels(alerts), Alerts: alerts, ExternalURL: d.externalURL,
	}
}

// sortAlerts puts firing alerts first, then by name and instance.
func sortAlerts(alerts []Alert) {
	sort.SliceStable(alerts, func(i, j int) bool {
		a, b := &alerts[i], &alerts[j]
		if a.Resolved() != b.Resolved() {
			return !a.Resolved()
		}
		if x, y := a.Labels["alertname"], b.Labels["alertname"]; x != y {
			return x < y
		}
		if x, y := a.Labels["instance"], b.Labels["instance"]; x != y {
			return x < y
		}
		return a.Fingerprint < b.Fingerprint
	})
}

func commonLabels(alerts []Alert) map[string]string {
	if len(alerts) == 0 {
		return map[string]string{}
	}
	out := make(map[string]string, len(alerts[0].Labels))
	for k, v := range alerts[0].Labels {
		out[k] = v
	}
	for _, a := range alerts[1:] {
		for k, v := range out {
			if a.Labels[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// prepare re-checks a queued job against the notification log just before it is sent, so that
// an update queued while an earlier one was in flight is not a duplicate. It returns nil when
// nothing is left to say.
func (d *dispatcher) prepare(j *job, now time.Time) *Group {
	d.mu.Lock()
	defer d.mu.Unlock()
	entry, has := d.nflog[j.gid]
	var keep []string
	if has {
		for _, id := range j.resolveIDs {
			if containsSorted(entry.Firing, id) {
				keep = append(keep, id)
			}
		}
	}
	if len(keep) != len(j.resolveIDs) {
		d.finishResolved(j.gid, diff(j.resolveIDs, keep))
		j.resolveIDs = keep
	}
	if !needsUpdate(has, entry, j.firingIDs, len(keep) > 0, j.repeat, now) {
		return nil
	}
	g := *j.group
	g.Alerts = make([]Alert, 0, len(j.group.Alerts))
	for _, a := range j.group.Alerts {
		if !a.Resolved() || containsSorted(keep, alertID(&a)) {
			g.Alerts = append(g.Alerts, a)
		}
	}
	g.CommonLabels = commonLabels(g.Alerts)
	return &g
}

func diff(all, keep []string) []string {
	var out []string
	for _, id := range all {
		if !containsSorted(keep, id) {
			out = append(out, id)
		}
	}
	return out
}

// sent records a delivered job and returns the log entry to persist.
func (d *dispatcher) sent(j *job, now time.Time) nflogEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := nflogEntry{Firing: j.firingIDs, Resolved: j.resolveIDs, SentAt: now}
	d.nflog[j.gid] = e
	d.finishResolved(j.gid, j.resolveIDs)
	return e
}

// finishResolved takes resolved alerts whose resolution is settled out of a group.
func (d *dispatcher) finishResolved(gid string, resolvedIDs []string) {
	for _, id := range resolvedIDs {
		fp, _, _ := strings.Cut(id, "@")
		da := d.alerts[fp]
		if da != nil && da.a.State == StateResolved && alertID(&da.a) == id {
			d.leave(da, gid)
		}
	}
	if g := d.groups[gid]; g != nil && len(g.fps) == 0 {
		delete(d.groups, gid)
	}
}

// reroute rebuilds groups after the routes changed; groups that still exist keep their timers.
func (d *dispatcher) reroute(root *route, now time.Time) {
	d.root = root
	old := d.groups
	d.groups = map[string]*aggrGroup{}
	for _, da := range d.alerts {
		clear(da.groups)
		for _, r := range root.matchRoutes(da.a.Labels) {
			gl := r.groupLabels(da.a.Labels)
			key := r.key + ":" + labelsString(gl)
			for _, recv := range r.receivers {
				gid := recv + "\x00" + key
				g := d.groups[gid]
				if g == nil {
					if o := old[gid]; o != nil {
						g = o
						g.route = r
						g.fps = map[string]struct{}{}
					} else {
						g = &aggrGroup{id: gid, key: key, receiver: recv, route: r, labels: gl, next: now.Add(r.groupWait), fps: map[string]struct{}{}}
					}
					d.groups[gid] = g
				}
				g.fps[da.a.Fingerprint] = struct{}{}
				da.groups[gid] = struct{}{}
			}
		}
	}
	for _, da := range d.alerts {
		if len(da.groups) == 0 && da.a.State == StateResolved {
			d.forget(da)
		}
	}
}

// setInhibitor replaces the inhibition rules and re-indexes the firing alerts.
func (d *dispatcher) setInhibitor(in *inhibitor) {
	d.inhib = in
	for _, da := range d.alerts {
		if da.a.State == StateFiring {
			in.observe(&da.a)
		}
	}
}

// nextFlush is the earliest group timer.
func (d *dispatcher) nextFlush() time.Time {
	var next time.Time
	for _, g := range d.groups {
		if next.IsZero() || g.next.Before(next) {
			next = g.next
		}
	}
	return next
}

// gcNflog drops log entries of groups that no longer exist and were last sent before cutoff.
func (d *dispatcher) gcNflog(cutoff time.Time) []string {
	var out []string
	for id, e := range d.nflog {
		if d.groups[id] == nil && e.SentAt.Before(cutoff) {
			delete(d.nflog, id)
			out = append(out, id)
		}
	}
	return out
}
