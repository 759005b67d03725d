package test

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/vigia-sei/vigia/config"
	"github.com/vigia-sei/vigia/internal/testenv"
)

const (
	chartDir    = "../vigia"
	repoRoot    = "../../.."
	releaseName = "vigia"
	namespace   = "monitoring"
	// kubeVersion is the oldest Kubernetes the chart supports (Chart.yaml kubeVersion): the
	// first with the apps.kubernetes.io/pod-index label.
	kubeVersion = "v1.28.0"
)

// rendered is one chart rendering: every manifest decoded strictly into its Kubernetes type.
type rendered struct {
	kinds           []string // sorted, one entry per object
	configMap       *corev1.ConfigMap
	deployment      *appsv1.Deployment
	statefulSet     *appsv1.StatefulSet
	services        []*corev1.Service
	serviceAccount  *corev1.ServiceAccount
	pdb             *policyv1.PodDisruptionBudget
	pvc             *corev1.PersistentVolumeClaim
	serviceMonitor  *monitoringv1.ServiceMonitor
	prometheusRule  *monitoringv1.PrometheusRule
	notes           string
	manifestsByName map[string]string
}

// render does what `helm template vigia deploy/helm/vigia -n monitoring -f <files> --kube-version
// 1.28` does, with the Helm SDK's engine, then decodes each manifest with unknown fields as errors, the
// way `kubectl apply --validate=strict` would reject them.
func render(t *testing.T, valueFiles ...string) *rendered {
	t.Helper()
	r, err := tryRender(valueFiles...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func renderValues(valueFiles []string) (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range valueFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		v, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		vals = chartutil.CoalesceTables(v.AsMap(), vals)
	}
	return vals, nil
}

// tryRender follows `helm template` (pkg/action's renderResources) with the engine directly: the
// action package would pull in Helm's Kubernetes client, doubling the build time of this module.
func tryRender(valueFiles ...string) (*rendered, error) {
	chrt, err := loader.Load(chartDir)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	vals, err := renderValues(valueFiles)
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	if !chartutil.IsCompatibleRange(chrt.Metadata.KubeVersion, kv.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, which is incompatible with %s", chrt.Metadata.KubeVersion, kv)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	// ToRenderValues also validates the values against values.schema.json.
	top, err := chartutil.ToRenderValues(chrt, vals, opts, caps)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	notesFile := path.Join(chrt.Name(), "templates", "NOTES.txt")
	out := &rendered{notes: files[notesFile], manifestsByName: map[string]string{}}
	delete(files, notesFile)
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("rendered YAML: %w", err)
	}
	if len(hooks) > 0 {
		return nil, fmt.Errorf("the chart renders %d hooks; the test does not expect any", len(hooks))
	}
	for i, m := range manifests {
		name := fmt.Sprintf("%s#%d", m.Name, i)
		out.manifestsByName[name] = m.Content
		if err := out.add(m.Content); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", name, err, m.Content)
		}
	}
	sort.Strings(out.kinds)
	return out, nil
}

func (r *rendered) add(manifest string) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &meta); err != nil {
		return err
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 ConfigMap":
		r.configMap = &corev1.ConfigMap{}
		obj = r.configMap
	case "apps/v1 Deployment":
		r.deployment = &appsv1.Deployment{}
		obj = r.deployment
	case "apps/v1 StatefulSet":
		r.statefulSet = &appsv1.StatefulSet{}
		obj = r.statefulSet
	case "v1 Service":
		s := &corev1.Service{}
		r.services = append(r.services, s)
		obj = s
	case "v1 ServiceAccount":
		r.serviceAccount = &corev1.ServiceAccount{}
		obj = r.serviceAccount
	case "policy/v1 PodDisruptionBudget":
		r.pdb = &policyv1.PodDisruptionBudget{}
		obj = r.pdb
	case "v1 PersistentVolumeClaim":
		r.pvc = &corev1.PersistentVolumeClaim{}
		obj = r.pvc
	case "monitoring.coreos.com/v1 ServiceMonitor":
		r.serviceMonitor = &monitoringv1.ServiceMonitor{}
		obj = r.serviceMonitor
	case "monitoring.coreos.com/v1 PrometheusRule":
		r.prometheusRule = &monitoringv1.PrometheusRule{}
		obj = r.prometheusRule
	default:
		return fmt.Errorf("unexpected object %s %s: add it to the test", meta.APIVersion, meta.Kind)
	}
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		return fmt.Errorf("strict decode of %s: %w", meta.Kind, err)
	}
	r.kinds = append(r.kinds, meta.Kind)
	return nil
}

// pod returns the pod template of whichever workload was rendered.
func (r *rendered) pod(t *testing.T) corev1.PodTemplateSpec {
	t.Helper()
	switch {
	case r.deployment != nil && r.statefulSet != nil:
		t.Fatal("both a Deployment and a StatefulSet were rendered: every instance would be probed twice")
	case r.deployment != nil:
		return r.deployment.Spec.Template
	case r.statefulSet != nil:
		return r.statefulSet.Spec.Template
	}
	t.Fatal("no workload rendered")
	return corev1.PodTemplateSpec{}
}

func container(t *testing.T, p corev1.PodTemplateSpec) corev1.Container {
	t.Helper()
	if len(p.Spec.Containers) != 1 || p.Spec.Containers[0].Name != "vigia" {
		t.Fatalf("want exactly one container named vigia, got %+v", p.Spec.Containers)
	}
	return p.Spec.Containers[0]
}

func TestChartRendersDefaults(t *testing.T) {
	r := render(t)
	want := []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"}
	if !slices.Equal(r.kinds, want) {
		t.Fatalf("kinds = %v, want %v", r.kinds, want)
	}
	d := r.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("Deployment replicas = %v, want 1 (more would probe every instance twice)", d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy = %q, want Recreate: two pods must not hold the state volume at once", d.Spec.Strategy.Type)
	}
	c := container(t, r.pod(t))
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--shard") {
			t.Errorf("unsharded Deployment passes %q", a)
		}
	}
	// Without persistence the state lives in an emptyDir.
	if v := volume(t, r.pod(t), "state"); v.EmptyDir == nil {
		t.Errorf("state volume = %+v, want an emptyDir by default", v.VolumeSource)
	}
	if r.pvc != nil {
		t.Error("a PVC was rendered with persistence disabled")
	}
	if !strings.Contains(r.notes, "persistence is off") {
		t.Errorf("NOTES do not warn about missing persistence:\n%s", r.notes)
	}
	checkPodCommon(t, r)
	// The Go heap limit follows the container's memory limit.
	var memLimit bool
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil && e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" {
			memLimit = true
		}
	}
	if !memLimit {
		t.Errorf("container env %+v lacks GOMEMLIMIT from limits.memory", c.Env)
	}
	cfg := checkConfigAccepted(t, r)
	// Empty `config` ships files/default-config.yaml.
	if len(cfg.Rules) != 4 || cfg.Receivers["log"].Log == nil {
		t.Errorf("default config has %d rules and receivers %v, want the 4 standard rules and the log receiver", len(cfg.Rules), keys(cfg.Receivers))
	}
}

func TestChartRendersShardedExample(t *testing.T) {
	r := render(t, chartDir+"/ci/sharded-values.yaml")
	want := []string{"ConfigMap", "PodDisruptionBudget", "PrometheusRule", "Service", "Service", "ServiceAccount", "ServiceMonitor", "StatefulSet"}
	if !slices.Equal(r.kinds, want) {
		t.Fatalf("kinds = %v, want %v", r.kinds, want)
	}
	s := r.statefulSet
	if s.Spec.Replicas == nil || *s.Spec.Replicas != 3 {
		t.Fatalf("StatefulSet replicas = %v, want 3", s.Spec.Replicas)
	}
	if s.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("podManagementPolicy = %q, want Parallel", s.Spec.PodManagementPolicy)
	}
	headless := findService(r, func(s *corev1.Service) bool { return s.Spec.ClusterIP == corev1.ClusterIPNone })
	if headless == nil || headless.Name != s.Spec.ServiceName {
		t.Errorf("StatefulSet serviceName %q has no headless Service", s.Spec.ServiceName)
	}
	// Persistence with shards: one claim per pod from the template, no shared PVC.
	if r.pvc != nil {
		t.Error("a shared PVC was rendered for a StatefulSet")
	}
	if len(s.Spec.VolumeClaimTemplates) != 1 || s.Spec.VolumeClaimTemplates[0].Name != "state" {
		t.Fatalf("volumeClaimTemplates = %+v, want one named state", s.Spec.VolumeClaimTemplates)
	}
	if got := s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String(); got != "5Gi" {
		t.Errorf("state claim size = %s, want 5Gi", got)
	}
	for _, v := range s.Spec.Template.Spec.Volumes {
		if v.Name == "state" {
			t.Errorf("pod declares a state volume %+v that hides the claim template", v.VolumeSource)
		}
	}

	checkShardArgs(t, r, 3)
	checkPodCommon(t, r)
	cfg := checkConfigAccepted(t, r)
	// A config given in values replaces the default one, never merges with it.
	if _, ok := cfg.Receivers["log"]; ok || len(cfg.Routes.Receivers) != 0 {
		t.Errorf("the default config leaked into the example's: receivers %v, root route %v", keys(cfg.Receivers), cfg.Routes.Receivers)
	}
	if len(cfg.Fleet.Instances) != 2 || cfg.Outputs.Elasticsearch == nil {
		t.Fatalf("the example's config lost its fleet or Elasticsearch output")
	}
	// Helm holds numbers as float64: a large one must still reach vigia as a whole number.
	if got := cfg.Outputs.Elasticsearch.BufferMaxBytes; got != 2147483648 {
		t.Errorf("buffer_max_bytes = %d, want 2147483648", got)
	}
	checkSecretsEnv(t, r)
	checkServiceMonitor(t, r)
	checkPrometheusRule(t, r)
	if !strings.Contains(r.notes, "StatefulSet of 3 pods") {
		t.Errorf("NOTES do not describe the shards:\n%s", r.notes)
	}
}

func TestChartShardOrdinalFromHostname(t *testing.T) {
	f := writeValues(t, "shards: 4\nsharding: {ordinalFrom: hostname}\n")
	r := render(t, f)
	c := container(t, r.pod(t))
	if !slices.Contains(c.Args, "--shard=auto/4") {
		t.Errorf("args %q lack --shard=auto/4", c.Args)
	}
	for _, e := range c.Env {
		if e.Name == "VIGIA_SHARD_INDEX" {
			t.Errorf("hostname mode still reads the pod-index label")
		}
	}
}

func TestChartPersistentDeployment(t *testing.T) {
	r := render(t, writeValues(t, "persistence: {enabled: true, size: 3Gi, storageClass: fast}\n"))
	if r.pvc == nil {
		t.Fatal("no PVC rendered with persistence enabled")
	}
	if got := r.pvc.Spec.Resources.Requests.Storage().String(); got != "3Gi" {
		t.Errorf("PVC size = %s, want 3Gi", got)
	}
	if sc := r.pvc.Spec.StorageClassName; sc == nil || *sc != "fast" {
		t.Errorf("storageClassName = %v, want fast", sc)
	}
	if r.pvc.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the state PVC would be deleted by helm uninstall")
	}
	v := volume(t, r.pod(t), "state")
	if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != r.pvc.Name {
		t.Errorf("state volume = %+v, want the claim %s", v.VolumeSource, r.pvc.Name)
	}
}

// A changed config must roll the pods, or they keep running the old one.
func TestChartConfigChecksumFollowsConfig(t *testing.T) {
	sum := func(extra string) string {
		r := render(t, writeValues(t, extra))
		s := r.pod(t).Annotations["checksum/config"]
		if len(s) != 64 {
			t.Fatalf("checksum/config = %q, want a sha256", s)
		}
		return s
	}
	a := sum("config: {global: {interval: 60s}}\n")
	if b := sum("config: {global: {interval: 60s}}\n"); a != b {
		t.Errorf("same config, different checksums %s %s", a, b)
	}
	if c := sum("config: {global: {interval: 30s}}\n"); a == c {
		t.Error("a different config kept the same checksum: pods would not roll")
	}
}

func TestChartRejectsBadValues(t *testing.T) {
	tests := []struct {
		name, values, want string
	}{
		{"zero shards", "shards: 0\n", "shards"},
		{"unknown ordinal source", "shards: 2\nsharding: {ordinalFrom: podname}\n", "ordinalFrom"},
		{"typo at top level", "shard: 3\n", "shard"},
		{"bad log format", "log: {format: text}\n", "format"},
		{"secret env without a Secret", "secrets: {env: {SEI_MON_PASS: pass}}\n", "secrets.existingSecret is required"},
		{"bad image digest", "image: {digest: latest}\n", "digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tryRender(writeValues(t, tc.values))
			if err == nil {
				t.Fatalf("values %q rendered; want an error about %s", tc.values, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func writeValues(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func volume(t *testing.T, p corev1.PodTemplateSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range p.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %q in %+v", name, p.Spec.Volumes)
	return corev1.Volume{}
}

func findService(r *rendered, pred func(*corev1.Service) bool) *corev1.Service {
	for _, s := range r.services {
		if pred(s) {
			return s
		}
	}
	return nil
}

// checkPodCommon checks what every rendering must have: hardening, probes, ports and mounts.
func checkPodCommon(t *testing.T, r *rendered) {
	t.Helper()
	p := r.pod(t)
	c := container(t, p)

	psc := p.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod seccompProfile is not RuntimeDefault")
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatal("container has no securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("readOnlyRootFilesystem is not true")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation is not false")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("capabilities = %+v, want drop [ALL] and nothing added", sc.Capabilities)
	}
	if p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken {
		t.Error("the service account token is mounted, but vigia never talks to the Kubernetes API")
	}

	probe := func(name string, pr *corev1.Probe, path string) {
		if pr == nil || pr.HTTPGet == nil {
			t.Errorf("%s probe is not an HTTP probe: %+v", name, pr)
			return
		}
		if pr.HTTPGet.Path != path || pr.HTTPGet.Port.String() != "http-metrics" {
			t.Errorf("%s probe = %s on port %s, want %s on http-metrics", name, pr.HTTPGet.Path, pr.HTTPGet.Port.String(), path)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("startup", c.StartupProbe, "/healthz")

	if len(c.Ports) != 1 || c.Ports[0].Name != "http-metrics" || c.Ports[0].ContainerPort != 9470 {
		t.Errorf("ports = %+v, want http-metrics 9470", c.Ports)
	}
	if !slices.Contains(c.Args, "--listen=:9470") {
		t.Errorf("args %q do not make vigia listen on the container port", c.Args)
	}
	if !slices.Equal(c.Command, []string{"/vigia"}) || len(c.Args) == 0 || c.Args[0] != "run" {
		t.Errorf("command %q args %q, want /vigia run ...", c.Command, c.Args)
	}
	checkFlagsExist(t, c.Args[1:])

	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m
	}
	if m := mounts["config"]; m.MountPath != "/etc/vigia" || !m.ReadOnly {
		t.Errorf("config mount = %+v, want read-only /etc/vigia", m)
	}
	if !slices.Contains(c.Args, "--config=/etc/vigia/vigia.yaml") {
		t.Errorf("args %q do not point at the mounted config", c.Args)
	}
	if mounts["state"].MountPath != "/var/lib/vigia" {
		t.Errorf("state mount = %+v, want /var/lib/vigia", mounts["state"])
	}
	if mounts["tmp"].MountPath != "/tmp" {
		t.Error("no writable /tmp with a read-only root filesystem")
	}

	var svc *corev1.Service
	for _, s := range r.services {
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			svc = s
		}
	}
	if svc == nil {
		t.Fatal("no ClusterIP Service")
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http-metrics" || svc.Spec.Ports[0].Port != 9470 || svc.Spec.Ports[0].TargetPort.String() != "http-metrics" {
		t.Errorf("service ports = %+v, want http-metrics 9470", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if p.Labels[k] != v {
			t.Errorf("service selector %s=%s does not match the pod labels %v", k, v, p.Labels)
		}
	}
	if r.pdb == nil || r.pdb.Spec.MaxUnavailable == nil || r.pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget = %+v, want maxUnavailable 1", r.pdb)
	} else {
		for k, v := range r.pdb.Spec.Selector.MatchLabels {
			if p.Labels[k] != v {
				t.Errorf("PDB selector %s=%s does not match the pods", k, v)
			}
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want cpu and memory requests and a memory limit", c.Resources)
	}
}

// checkFlagsExist compares the flags the chart passes with those `vigia run` defines, read from
// cmd/vigia's source, so a renamed flag breaks this test rather than every pod.
func checkFlagsExist(t *testing.T, args []string) {
	t.Helper()
	defined := runFlags(t)
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !defined[name] {
			t.Errorf("arg %q is not a flag of vigia run (known: %v)", a, keys(defined))
		}
	}
}

var flagDef = regexp.MustCompile(`fs\.(?:String|Duration|Bool|Int|StringVar|DurationVar|BoolVar|IntVar)\((?:&[\w.]+, )?"([\w.-]+)"`)

func runFlags(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "cmd/vigia/*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body := string(src)
		// Only run.go's own flags and the shared log flags are flags of `vigia run`.
		if !strings.HasSuffix(f, "run.go") && !strings.Contains(body, "func (l *logFlags) register") {
			continue
		}
		for _, m := range flagDef.FindAllStringSubmatch(body, -1) {
			out[m[1]] = true
		}
	}
	if !out["config"] || !out["shard"] {
		t.Fatalf("could not read vigia run's flags from cmd/vigia (found %v)", keys(out))
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkConfigAccepted feeds the ConfigMap's vigia.yaml to vigia's own loader, with the variables
// the pod would have: every ${VAR} the config uses must be provided by the chart's env.
func checkConfigAccepted(t *testing.T, r *rendered) *config.Config {
	t.Helper()
	if r.configMap == nil {
		t.Fatal("no ConfigMap")
	}
	data, ok := r.configMap.Data["vigia.yaml"]
	if !ok {
		t.Fatalf("ConfigMap has no vigia.yaml: %v", keys(r.configMap.Data))
	}
	env := podEnv(t, r, 0)
	cfg, err := config.Parse("configmap/vigia.yaml", []byte(data), func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("vigia rejects the rendered config: %v\n%s", err, data)
	}
	if cfg.Global.StateDir != "/var/lib/vigia" {
		t.Errorf("global.state_dir = %q, want the state volume /var/lib/vigia", cfg.Global.StateDir)
	}
	return cfg
}

// podEnv is the container environment of pod `ordinal` as the kubelet would set it: secret
// references get a dummy value, downward-API fields their value for that pod.
func podEnv(t *testing.T, r *rendered, ordinal int) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range container(t, r.pod(t)).Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "dummy-" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.labels['apps.kubernetes.io/pod-index']":
			env[e.Name] = fmt.Sprint(ordinal)
		case e.ValueFrom.ResourceFieldRef != nil && e.ValueFrom.ResourceFieldRef.Resource == "limits.memory":
			env[e.Name] = "536870912"
		default:
			t.Fatalf("env %s has a source the test does not model: %+v", e.Name, e.ValueFrom)
		}
	}
	return env
}

var kubeVarRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkShardArgs expands $(VAR) in the args as the kubelet does, for every pod of the
// StatefulSet, and checks that the pods cover shards 0..n-1 once each.
func checkShardArgs(t *testing.T, r *rendered, n int) {
	t.Helper()
	seen := map[int]bool{}
	for ordinal := 0; ordinal < n; ordinal++ {
		env := podEnv(t, r, ordinal)
		var shard string
		for _, a := range container(t, r.pod(t)).Args {
			if v, ok := strings.CutPrefix(a, "--shard="); ok {
				shard = kubeVarRef.ReplaceAllStringFunc(v, func(m string) string {
					name := kubeVarRef.FindStringSubmatch(m)[1]
					val, ok := env[name]
					if !ok {
						t.Errorf("arg %q references $(%s), which the container does not define", a, name)
					}
					return val
				})
			}
		}
		i, gotN, err := config.ParseShard(shard)
		if err != nil {
			t.Fatalf("pod %d: --shard=%q: %v", ordinal, shard, err)
		}
		if i != ordinal || gotN != n {
			t.Errorf("pod %d runs shard %d/%d, want %d/%d", ordinal, i, gotN, ordinal, n)
		}
		seen[i] = true
	}
	if len(seen) != n {
		t.Errorf("pods cover shards %v, want each of 0..%d", keys(intKeys(seen)), n-1)
	}
}

func intKeys(m map[int]bool) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[fmt.Sprint(k)] = true
	}
	return out
}

func checkSecretsEnv(t *testing.T, r *rendered) {
	t.Helper()
	want := map[string]string{"SEI_MON_PASS": "sei-mon-pass", "ES_API_KEY": "es-api-key", "ZBX_TOKEN": "zabbix-token",
		"SLACK_TOKEN": "slack-token", "VIGIA_API_TOKEN": "api-token"}
	for _, e := range container(t, r.pod(t)).Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name != "vigia-credentials" || ref.Key != want[e.Name] {
			t.Errorf("%s from secret %s key %s, want vigia-credentials key %s", e.Name, ref.Name, ref.Key, want[e.Name])
		}
		delete(want, e.Name)
	}
	if len(want) > 0 {
		t.Errorf("variables not mapped from the Secret: %v", keys(want))
	}
	if strings.Contains(r.configMap.Data["vigia.yaml"], "dummy-") {
		t.Error("a secret value ended up in the ConfigMap")
	}
}

func checkServiceMonitor(t *testing.T, r *rendered) {
	t.Helper()
	sm := r.serviceMonitor
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor labels %v lack the Prometheus selector label", sm.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http-metrics" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Fatalf("endpoints = %+v, want http-metrics /metrics", sm.Spec.Endpoints)
	}
	// Exactly one Service may match, or each shard is scraped twice.
	matching := 0
	for _, s := range r.services {
		ok := true
		for k, v := range sm.Spec.Selector.MatchLabels {
			ok = ok && s.Labels[k] == v
		}
		for _, e := range sm.Spec.Selector.MatchExpressions {
			_, has := s.Labels[e.Key]
			ok = ok && e.Operator == "DoesNotExist" && !has
		}
		if ok {
			matching++
		}
	}
	if matching != 1 {
		t.Errorf("ServiceMonitor selects %d Services, want 1", matching)
	}
}

func checkPrometheusRule(t *testing.T, r *rendered) {
	t.Helper()
	pr := r.prometheusRule
	var names []string
	for _, g := range pr.Spec.Groups {
		names = append(names, g.Name)
	}
	// The example excludes vigia-sei-alerts: vigia notifies those itself.
	if want := []string{"vigia-sei-recording", "vigia-self-alerts"}; !slices.Equal(names, want) {
		t.Errorf("PrometheusRule groups = %v, want %v", names, want)
	}
	for _, g := range pr.Spec.Groups {
		for _, rule := range g.Rules {
			if rule.Expr.String() == "" {
				t.Errorf("group %s: rule %s%s has no expression", g.Name, rule.Alert, rule.Record)
			}
		}
	}
	// The annotations are Prometheus templates: Helm must ship them untouched.
	if !strings.Contains(r.manifestsByName[manifestOf(r, "PrometheusRule")], "{{ $labels.instance }}") {
		t.Error("the PrometheusRule lost its {{ $labels.* }} templates")
	}
	// The chart carries a copy of the rules vigia ships (a chart cannot read outside its directory).
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "dashboards/prometheus/vigia.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if copied, _ := os.ReadFile(filepath.Join(chartDir, "files/vigia-rules.yaml")); string(copied) != string(shipped) {
		t.Error("deploy/helm/vigia/files/vigia-rules.yaml differs from dashboards/prometheus/vigia.rules.yml: " +
			"cp dashboards/prometheus/vigia.rules.yml deploy/helm/vigia/files/vigia-rules.yaml")
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if testenv.Integration() {
			t.Fatal("VIGIA_IT=1 but promtool is not installed (apt-get install prometheus)")
		}
		t.Log("promtool not installed: the rules file is not checked by Prometheus itself")
		return
	}
	out, err := exec.Command(promtool, "check", "rules", filepath.Join(chartDir, "files/vigia-rules.yaml")).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}

func manifestOf(r *rendered, kind string) string {
	for name, m := range r.manifestsByName {
		if strings.Contains(m, "\nkind: "+kind+"\n") {
			return name
		}
	}
	return ""
}
