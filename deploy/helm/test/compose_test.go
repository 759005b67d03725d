package test

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/vigia-sei/vigia/internal/seisim"
	"github.com/vigia-sei/vigia/internal/testenv"
)

const composeDir = "../../compose"

// loadCompose loads docker-compose.yml the way `docker compose config` does (schema validation,
// interpolation, path resolution) with compose-go, the library inside Docker Compose. Nothing is
// started: there is no Docker daemon here.
func loadCompose(t *testing.T, envFiles ...string) *types.Project {
	t.Helper()
	opts := []cli.ProjectOptionsFn{cli.WithWorkingDirectory(composeDir), cli.WithResolvedPaths(true)}
	if len(envFiles) > 0 {
		opts = append(opts, cli.WithEnvFiles(envFiles...), cli.WithDotEnv)
	}
	po, err := cli.NewProjectOptions([]string{filepath.Join(composeDir, "docker-compose.yml")}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := po.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func TestComposeStack(t *testing.T) {
	for _, env := range [][]string{nil, {filepath.Join(composeDir, ".env.example")}} {
		p := loadCompose(t, env...)
		want := []string{"alertmanager", "elasticsearch", "grafana", "kibana", "kibana-setup", "mailpit",
			"prometheus", "seisim", "vigia", "zabbix-db", "zabbix-server", "zabbix-web"}
		if got := p.ServiceNames(); !slices.Equal(sortedCopy(got), want) {
			t.Fatalf("services = %v, want %v", sortedCopy(got), want)
		}
		root, _ := filepath.Abs(repoRoot)
		for name, s := range p.Services {
			switch {
			case s.Build != nil:
				if s.Build.Context != root || s.Build.Dockerfile != "deploy/Dockerfile" || s.Build.Target != name {
					t.Errorf("%s: build %s -f %s --target %s, want the repository root, deploy/Dockerfile, --target %s",
						name, s.Build.Context, s.Build.Dockerfile, s.Build.Target, name)
				}
			case !pinned(s.Image):
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			}
			for _, port := range s.Ports {
				if port.HostIP != "127.0.0.1" {
					t.Errorf("%s: port %s published on %q, want 127.0.0.1 only (Elasticsearch runs without security)", name, port.Published, port.HostIP)
				}
			}
			for _, v := range s.Volumes {
				if v.Type != types.VolumeTypeBind {
					if _, ok := p.Volumes[v.Source]; !ok {
						t.Errorf("%s: named volume %q is not declared", name, v.Source)
					}
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount source missing: %v", name, err)
				}
			}
			for dep := range s.DependsOn {
				if _, ok := p.Services[dep]; !ok {
					t.Errorf("%s depends on unknown service %s", name, dep)
				}
			}
		}
		wantPorts := map[string]string{"vigia": "9470", "seisim": "8480", "grafana": "3000", "kibana": "5601",
			"prometheus": "9090", "alertmanager": "9093", "mailpit": "8025", "zabbix-web": "8081", "elasticsearch": "9200"}
		for svc, port := range wantPorts {
			if !slices.ContainsFunc(p.Services[svc].Ports, func(c types.ServicePortConfig) bool { return c.Published == port }) {
				t.Errorf("%s does not publish %s", svc, port)
			}
		}
	}
}

func pinned(image string) bool {
	_, tag, ok := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	return ok && tag != "latest" && !strings.HasSuffix(tag, "-latest")
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// vigia's config in the stack must load with the environment compose gives the container, and
// every address in it must be a service of the stack.
func TestComposeVigiaConfig(t *testing.T) {
	p := loadCompose(t)
	v := p.Services["vigia"]
	env := map[string]string{}
	for k, val := range v.Environment {
		if val != nil {
			env[k] = *val
		}
	}
	var cfgFile string
	for _, m := range v.Volumes {
		if m.Target == "/etc/vigia/vigia.yaml" {
			cfgFile = m.Source
		}
	}
	if cfgFile == "" {
		t.Fatal("vigia's config is not mounted at /etc/vigia/vigia.yaml (the image's ENTRYPOINT reads it)")
	}
	cfg := loadConfig(t, cfgFile, env)

	services := p.Services
	host := func(where, raw string) {
		h := raw
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			h = u.Host
		}
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		if _, ok := services[h]; !ok {
			t.Errorf("%s points at %q, which is not a service of the stack", where, raw)
		}
	}
	if cfg.Global.StateDir != "/var/lib/vigia" {
		t.Errorf("state_dir = %q, want the vigia-state volume at /var/lib/vigia", cfg.Global.StateDir)
	}
	if es := cfg.Outputs.Elasticsearch; es == nil {
		t.Error("no Elasticsearch output")
	} else {
		for _, a := range es.Addresses {
			host("outputs.elasticsearch", a)
		}
	}
	kinds := map[string]bool{}
	for name, r := range cfg.Receivers {
		switch {
		case r.Zabbix != nil:
			kinds["zabbix"] = true
			host("receivers."+name+".zabbix.api", r.Zabbix.API)
			host("receivers."+name+".zabbix.server", r.Zabbix.Server)
		case r.Email != nil:
			kinds["email"] = true
			host("receivers."+name+".email.smarthost", r.Email.Smarthost)
		case r.Alertmanager != nil:
			kinds["alertmanager"] = true
			for _, u := range r.Alertmanager.URLs {
				host("receivers."+name+".alertmanager", u)
			}
		}
	}
	for _, k := range []string{"zabbix", "email", "alertmanager"} {
		if !kinds[k] {
			t.Errorf("no %s receiver in the stack's config", k)
		}
	}

	// The instances are exactly seisim's fleet, read with seisim's own loader.
	var fleetFile string
	for _, m := range services["seisim"].Volumes {
		if m.Target == "/etc/seisim/fleet.yaml" {
			fleetFile = m.Source
		}
	}
	if !slices.Contains(services["seisim"].Command, "/etc/seisim/fleet.yaml") {
		t.Errorf("seisim command %q does not load the mounted fleet", services["seisim"].Command)
	}
	fleet, err := seisim.LoadFleet(fleetFile)
	if err != nil {
		t.Fatalf("seisim rejects the stack's fleet: %v", err)
	}
	simulated := map[string]bool{}
	for _, in := range fleet.Instances {
		simulated[in.Name] = true
	}
	for _, in := range cfg.Fleet.Instances {
		host("fleet "+in.Name, in.URL)
		u, _ := url.Parse(in.URL)
		if name := strings.Trim(u.Path, "/"); !simulated[name] {
			t.Errorf("instance %s probes %s, which seisim does not serve", in.Name, in.URL)
		}
		delete(simulated, strings.Trim(u.Path, "/"))
	}
	if len(simulated) > 0 {
		t.Errorf("simulated instances nobody watches: %v", keys(simulated))
	}
}

func TestComposePrometheusAndAlertmanager(t *testing.T) {
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			HonorLabels   bool   `yaml:"honor_labels"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	data, err := os.ReadFile(filepath.Join(composeDir, "prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prom); err != nil {
		t.Fatal(err)
	}
	scraped := false
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName == "vigia" && len(sc.StaticConfigs) == 1 && slices.Contains(sc.StaticConfigs[0].Targets, "vigia:9470") {
			scraped = true
			if !sc.HonorLabels {
				t.Error("vigia job without honor_labels: sei_* series would lose their instance label")
			}
		}
	}
	if !scraped {
		t.Error("Prometheus does not scrape vigia:9470")
	}
	p := loadCompose(t)
	mounted := false
	for _, m := range p.Services["prometheus"].Volumes {
		if m.Target == "/etc/prometheus/rules" && strings.HasSuffix(m.Source, filepath.Join("dashboards", "prometheus")) {
			mounted = true
		}
	}
	if !mounted || !slices.Equal(prom.RuleFiles, []string{"/etc/prometheus/rules/vigia.rules.yml"}) {
		t.Errorf("rule_files = %v: want dashboards/prometheus/vigia.rules.yml, mounted at /etc/prometheus/rules", prom.RuleFiles)
	}
	// promtool resolves rule_files: point them at the repository's copy, as the mount does.
	rulesDir, _ := filepath.Abs(filepath.Join(repoRoot, "dashboards/prometheus"))
	promCfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(strings.ReplaceAll(string(data), "/etc/prometheus/rules", rulesDir)), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		tool, pkg string
		args      []string
	}{
		{"promtool", "prometheus", []string{"check", "config", promCfg}},
		{"amtool", "prometheus-alertmanager", []string{"check-config", filepath.Join(composeDir, "alertmanager/alertmanager.yml")}},
	} {
		bin, err := exec.LookPath(c.tool)
		if err != nil {
			if testenv.Integration() {
				t.Errorf("VIGIA_IT=1 but %s is missing (apt-get install %s)", c.tool, c.pkg)
			} else {
				t.Logf("%s not installed: %s not checked", c.tool, c.args[len(c.args)-1])
			}
			continue
		}
		if out, err := exec.Command(bin, c.args...).CombinedOutput(); err != nil {
			t.Errorf("%s %s: %v\n%s", c.tool, strings.Join(c.args, " "), err, out)
		}
	}
}

func TestComposeGrafanaProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	data, err := os.ReadFile(filepath.Join(composeDir, "grafana/provisioning/datasources/datasources.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &ds); err != nil {
		t.Fatal(err)
	}
	p := loadCompose(t)
	dsTypes := map[string]bool{}
	for _, d := range ds.Datasources {
		dsTypes[d.Type] = true
		u, err := url.Parse(d.URL)
		if err != nil || p.Services[u.Hostname()].Name == "" {
			t.Errorf("datasource %s points at %q, not a service of the stack", d.UID, d.URL)
		}
	}
	if !dsTypes["prometheus"] || !dsTypes["elasticsearch"] {
		t.Errorf("datasource types %v, want prometheus and elasticsearch", keys(dsTypes))
	}
	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	data, err = os.ReadFile(filepath.Join(composeDir, "grafana/provisioning/dashboards/vigia.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prov); err != nil || len(prov.Providers) != 1 {
		t.Fatalf("dashboard provider: %v %+v", err, prov)
	}
	mounted := false
	for _, m := range p.Services["grafana"].Volumes {
		if m.Target == prov.Providers[0].Options.Path && strings.HasSuffix(m.Source, filepath.Join("dashboards", "grafana")) {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("Grafana reads dashboards from %s, where dashboards/grafana is not mounted", prov.Providers[0].Options.Path)
	}
}
