package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestInvalidConfigs compares every testdata/invalid-*.yaml with the exact messages in its .err file.
func TestInvalidConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
			if err != nil {
				t.Fatalf("missing expected messages: %v", err)
			}
			_, err = Parse(f, data, env(nil))
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("want *config.Error, got %v", err)
			}
			var got []string
			for _, p := range cerr.Problems {
				got = append(got, p.String())
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(string(want)); g != w {
				t.Errorf("messages differ\n got:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func TestFiveMistakesAllReported(t *testing.T) {
	_, err := Load("testdata/invalid-five.yaml")
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Problems) != 5 {
		t.Fatalf("want 5 problems, got %v", err)
	}
	for _, p := range cerr.Problems {
		if p.Line == 0 || p.File != "testdata/invalid-five.yaml" || p.Path == "" {
			t.Errorf("problem without file, line and path: %+v", p)
		}
	}
}

func TestValidConfigDefaultsAndEnv(t *testing.T) {
	data, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("valid.yaml", data, env(map[string]string{"SEI_MON_PASS": "s3nh@-$ecreta", "VIGIA_API_TOKEN": "tok"}))
	if err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"interval", cfg.Global.Interval, 60 * time.Second},
		{"concurrency", cfg.Global.Concurrency, 64},
		{"tls sessions default", *cfg.Global.TLSSessions, DefaultTLSSessions},
		{"modules keep their session for an hour", *cfg.Probes.Modules.KeepSession, DefaultKeepSession},
		{"user agent default", cfg.Global.UserAgent, DefaultUserAgent},
		{"time zone default", cfg.Global.TimeZone, "America/Sao_Paulo"},
		{"health interval", cfg.Probes.Health.Interval, 30 * time.Second},
		{"version interval default", cfg.Probes.Version.Interval, 5 * time.Minute},
		{"http probe off by default", cfg.Probes.HTTP.On(), false},
		{"synthetic on", cfg.Probes.Synthetic.On(), true},
		{"synthetic timeout default", cfg.Probes.Synthetic.Timeout, 30 * time.Second},
		{"password expanded", cfg.Fleet.Instances[0].Credentials.Password.Reveal(), "s3nh@-$ecreta"},
		{"token expanded", cfg.Server.APIToken.Reveal(), "tok"},
		{"rule severity default", cfg.Rules[1].Severity, "warning"},
		{"group wait default", cfg.Routes.GroupWait, 30 * time.Second},
		{"file output on without elasticsearch", *cfg.Outputs.File.Enabled, true},
		{"silence time zone", cfg.Silences[0].TimeZone, "America/Sao_Paulo"},
		{"labels", cfg.Fleet.Instances[0].Labels["cloud"], "a"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	tg := cfg.Targets()
	if len(tg) != 2 || tg[0].Credentials.Password.Reveal() != "s3nh@-$ecreta" || tg[1].Owner != "ANATEL" {
		t.Errorf("targets: %+v", tg)
	}
}

func TestEnvExpansion(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		check      func(*Config) bool
	}{
		{"duration from env", "global:\n  interval: ${IV}\n", map[string]string{"IV": "15s"},
			func(c *Config) bool { return c.Global.Interval == 15*time.Second }},
		{"number from env", "global:\n  concurrency: ${C}\n", map[string]string{"C": "8"},
			func(c *Config) bool { return c.Global.Concurrency == 8 }},
		{"tls session resumption off", "global: {tls_sessions: 0}", nil,
			func(c *Config) bool { return *c.Global.TLSSessions == 0 }},
		{"modules log in every run", "probes: {modules: {keep_session: 0s}}", nil,
			func(c *Config) bool { return *c.Probes.Modules.KeepSession == 0 }},
		{"default used", "global: {user_agent: \"${UA:-probe/2}\"}", nil,
			func(c *Config) bool { return c.Global.UserAgent == "probe/2" }},
		{"dollar escape", "global: {user_agent: \"a$${B}\"}", nil,
			func(c *Config) bool { return c.Global.UserAgent == "a${B}" }},
		{"bare dollar kept", "global: {user_agent: \"p$ss\"}", nil,
			func(c *Config) bool { return c.Global.UserAgent == "p$ss" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("t.yaml", []byte(tt.yaml), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("unexpected config: %+v", cfg.Global)
			}
		})
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	const secret = "hunter2-SEGREDO"
	y := "fleet:\n  instances:\n    - {name: a, url: 'https://a.gov.br', credentials: {password: '${P}'}}\noutputs:\n  elasticsearch: {addresses: ['http://x:9200'], api_key: '${P}', password: '${P}'}\n"
	_, err := Parse("t.yaml", []byte(y), env(map[string]string{"P": secret}))
	if err == nil {
		t.Fatal("want errors (password without username, api_key with password)")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("secret leaked into error: %v", err)
	}
}

func TestUnknownFieldSuggestion(t *testing.T) {
	_, err := Parse("t.yaml", []byte("global:\n  intervl: 30s\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), `t.yaml:2: global.intervl: unknown field (did you mean "interval"?)`) {
		t.Fatalf("got %v", err)
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		i, n int
		ok   bool
	}{{"0/1", 0, 1, true}, {"2/3", 2, 3, true}, {"3/3", 0, 0, false}, {"a/b", 0, 0, false}, {"1", 0, 0, false}, {"-1/2", 0, 0, false}} {
		i, n, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || i != tt.i || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tt.in, i, n, err)
		}
	}
}

func TestFleetDefaults(t *testing.T) {
	y := `fleet:
  defaults:
    owner: CENTRAL
    labels: {cloud: a, tier: x}
    credentials: {username: monitor, password: "${P}", orgao: "0"}
  instances:
    - {name: a, url: "https://a.gov.br"}
    - {name: b, url: "https://b.gov.br", owner: B, labels: {tier: y}, credentials: {username: other, password: z}}
`
	cfg, err := Parse("t.yaml", []byte(y), env(map[string]string{"P": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	ts := cfg.Targets()
	if a := ts[0]; a.Owner != "CENTRAL" || a.Credentials.Username != "monitor" || a.Credentials.Password.Reveal() != "pw" || a.Labels["cloud"] != "a" {
		t.Errorf("defaults not applied: %+v", a)
	}
	if b := ts[1]; b.Owner != "B" || b.Credentials.Username != "other" || b.Labels["tier"] != "y" || b.Labels["cloud"] != "a" {
		t.Errorf("instance's own values overridden: %+v", b)
	}
}
