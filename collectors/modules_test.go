package collectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/desired"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

func moduleOf(r probe.Result, name string) (probe.Module, bool) {
	for _, m := range r.Modules {
		if m.Name == name {
			return m, true
		}
	}
	return probe.Module{}, false
}

func admin(in seisim.Instance) seisim.Instance {
	in.Users = []seisim.User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: true}}
	return in
}

// modWant is what a test expects of one module; nil pointers mean "absent" (unknown).
type modWant struct {
	version    string
	up         *bool
	compatible *bool
	detail     string
	absent     bool
}

var (
	yes = probe.BoolPtr(true)
	no  = probe.BoolPtr(false)
)

func TestModulesProber(t *testing.T) {
	env := newSim(t,
		// Administrator on SEI 5.0.3: the module list gives every version.
		admin(inst("adm503", "5.0.3",
			seisim.Module{Name: "mod-sei-pen", Version: "4.0.2"},
			seisim.Module{Name: "mod-wssei", Version: "3.0.1"},
			seisim.Module{Name: "peticionamento", Version: "4.6.5"}, // needs SEI ≥ 5.0.4
			seisim.Module{Name: "mod-sei-estatisticas", Version: "2.0.1"})),
		// Ordinary account on 4.1.5: menus, mod-wssei and WSDL only.
		inst("user415", "4.1.5",
			seisim.Module{Name: "mod-sei-pen", Version: "3.8.2"},
			seisim.Module{Name: "mod-wssei", Version: "2.2.1"},
			seisim.Module{Name: "peticionamento", Version: "4.1.2"}),
		inst("wssei-inactive", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1", Inactive: true}),
		inst("wssei-broken", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1", Broken: true}),
		inst("pet-broken", "4.1.5", seisim.Module{Name: "peticionamento", Version: "4.1.2", Broken: true}),
		admin(inst("pet-inactive", "4.1.5", seisim.Module{Name: "peticionamento", Version: "4.1.2", Inactive: true})),
		inst("pen-broken", "4.1.5", seisim.Module{Name: "mod-sei-pen", Version: "3.8.2", Broken: true}),
		admin(inst("missing", "4.1.5", seisim.Module{Name: "mod-wssei", Version: "2.2.1"})),
		inst("v3011", "3.0.11", seisim.Module{Name: "mod-wssei", Version: "0.7.12"}),
	)
	store := desiredStore(t, desired.Versions{Modules: map[string]string{"mod-wssei": "3.0.2"}}, map[string]string{
		"adm503":  "sei:\n  version: 5.0.3\n  modules:\n    mod-sei-pen: 4.0.3\n    mod-wssei: 3.0.1\n",
		"missing": "sei:\n  version: 4.1.5\n  modules:\n    mod-wssei: 2.2.1\n    mod-sei-pen: 3.8.2\n",
		"user415": "sei:\n  version: 4.1.5\n  modules:\n    mod-sei-estatisticas: 2.0.1\n",
	})
	p, err := NewModulesProber(ModulesOptions{Desired: store, WSSEIAuthenticate: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ok      bool
		errHas  []string
		mods    map[string]modWant
		values  map[string]float64
		drift   map[string]string // module → level against desired
		latestW string            // drift level of mod-wssei against latest 3.0.2
	}{
		{
			name: "adm503", errHas: []string{"peticionamento incompatible", "mod-sei-estatisticas incompatible"},
			mods: map[string]modWant{
				"mod-sei-pen":          {version: "4.0.2", up: yes, compatible: yes},
				"mod-wssei":            {version: "3.0.1", up: yes, compatible: yes},
				"peticionamento":       {version: "4.6.5", up: yes, compatible: no, detail: "does not support SEI 5.0.3"},
				"mod-sei-estatisticas": {version: "2.0.1", compatible: no},
			},
			values: map[string]float64{ValueModulesInstalled: 4, ValueModulesIncompat: 2, ValueModulesDown: 0, ValueLoginSuccess: 1},
			drift:  map[string]string{"mod-sei-pen": "patch", "mod-wssei": "none"}, latestW: "patch",
		},
		{
			name: "user415", ok: true,
			mods: map[string]modWant{
				"mod-sei-pen":          {up: yes},                                    // menu only: no version
				"mod-wssei":            {version: "2.2.1", up: yes, compatible: yes}, // /versao with a token
				"peticionamento":       {up: yes},                                    // WSDL and menu
				"mod-sei-estatisticas": {detail: ModuleUnverifiable},                 // desired, no surface without the list
			},
			values: map[string]float64{ValueModulesInstalled: 3, ValueModulesMissing: 0}, latestW: "major",
		},
		{
			name: "wssei-inactive", errHas: []string{"mod-wssei down", "inactive"},
			mods:   map[string]modWant{"mod-wssei": {up: no, detail: "Módulo inativo."}},
			values: map[string]float64{ValueModulesDown: 1},
		},
		{
			name: "wssei-broken", errHas: []string{"mod-wssei down", "incompatível com a versão 4.1.5"},
			mods: map[string]modWant{"mod-wssei": {up: no, compatible: no}},
		},
		{
			name: "pet-broken", errHas: []string{"peticionamento down", "HTTP 500"},
			mods: map[string]modWant{"peticionamento": {up: no}},
		},
		{
			name: "pet-inactive", errHas: []string{"peticionamento down", "not registered"},
			mods: map[string]modWant{"peticionamento": {version: "4.1.2", up: no}},
		},
		{
			name: "pen-broken", errHas: []string{"mod-sei-pen down", "HTTP 500"},
			mods: map[string]modWant{"mod-sei-pen": {up: no}},
		},
		{
			name: "missing", errHas: []string{"mod-sei-pen missing"},
			mods: map[string]modWant{
				"mod-wssei":   {version: "2.2.1", up: yes, compatible: yes},
				"mod-sei-pen": {detail: ModuleMissing},
			},
			values: map[string]float64{ValueModulesMissing: 1, ValueModulesInstalled: 1},
			drift:  map[string]string{"mod-wssei": "none", "mod-sei-pen": "unknown"},
		},
		{
			// mod-wssei 0.7.x answers the public v1 /versao (SEI's version, not its own).
			name: "v3011", ok: true,
			mods: map[string]modWant{"mod-wssei": {up: yes}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Probe(probeCtx(t, 10*time.Second), env.target(tt.name))
			if r.OK != tt.ok {
				t.Fatalf("OK=%v Error=%q", r.OK, r.Error)
			}
			for _, e := range tt.errHas {
				if !strings.Contains(r.Error, e) {
					t.Errorf("Error %q does not mention %q", r.Error, e)
				}
			}
			for name, w := range tt.mods {
				m, ok := moduleOf(r, name)
				if ok == w.absent {
					t.Errorf("%s present=%v: %+v", name, ok, r.Modules)
					continue
				}
				if m.Version != w.version || !sameBool(m.Up, w.up) || !sameBool(m.Compatible, w.compatible) || !strings.Contains(m.Detail, w.detail) {
					t.Errorf("%s = {version %q up %v compatible %v detail %q}, want {%q %v %v %q}", name,
						m.Version, str(m.Up), str(m.Compatible), m.Detail, w.version, str(w.up), str(w.compatible), w.detail)
				}
			}
			for k, want := range tt.values {
				if got := r.Values[k]; got != want {
					t.Errorf("Values[%s] = %v, want %v", k, got, want)
				}
			}
			for mod, lvl := range tt.drift {
				if d, ok := driftOfResult(r, mod, "desired"); !ok || d.Level != lvl {
					t.Errorf("drift %s = %+v, want %s", mod, d, lvl)
				}
			}
			if tt.latestW != "" {
				if d, ok := driftOfResult(r, "mod-wssei", "latest"); !ok || d.Level != tt.latestW {
					t.Errorf("mod-wssei drift against latest = %+v, want %s", d, tt.latestW)
				}
			}
		})
	}
}

func sameBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func str(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestModulesProberFaultsAndOptions(t *testing.T) {
	env := newSim(t,
		seisim.Instance{Name: "down", SEIVersion: "4.1.5", Faults: seisim.Faults{Down: true}},
		seisim.Instance{Name: "maint", SEIVersion: "4.1.5", Faults: seisim.Faults{Maintenance: true}},
		seisim.Instance{Name: "hang", SEIVersion: "4.1.5", Faults: seisim.Faults{Hang: true}},
		admin(inst("adm", "4.1.5", seisim.Module{Name: "mod-sei-pen", Version: "3.8.2"})),
	)
	p, _ := NewModulesProber(ModulesOptions{})
	for name, state := range map[string]string{"down": probe.StateDown, "maint": probe.StateMaintenance, "hang": probe.StateDown} {
		start := time.Now()
		r := p.Probe(probeCtx(t, 300*time.Millisecond), env.target(name))
		if r.OK || r.State != state || time.Since(start) > 3*time.Second {
			t.Errorf("%s: OK=%v State=%q Error=%q after %v", name, r.OK, r.State, r.Error, time.Since(start))
		}
	}
	// Without login, an administrator's module list is not read.
	nl, _ := NewModulesProber(ModulesOptions{NoLogin: true})
	r := nl.Probe(probeCtx(t, 5*time.Second), env.target("adm"))
	if _, ok := moduleOf(r, "mod-sei-pen"); ok || !r.OK {
		t.Errorf("NoLogin saw a menu-only module: %+v %q", r.Modules, r.Error)
	}

	// A matrix file replaces the embedded rules of the modules it lists.
	f := filepath.Join(t.TempDir(), "matrix.yaml")
	if err := os.WriteFile(f, []byte("compatibility:\n  mod-sei-pen:\n    - {module: \"3.8.2\", sei: [\"5.*\"]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mp, err := NewModulesProber(ModulesOptions{MatrixFile: f})
	if err != nil {
		t.Fatal(err)
	}
	r = mp.Probe(probeCtx(t, 5*time.Second), env.target("adm"))
	if m, _ := moduleOf(r, "mod-sei-pen"); !sameBool(m.Compatible, no) || r.OK {
		t.Errorf("matrix file ignored: %+v", m)
	}
	if _, err := NewModulesProber(ModulesOptions{MatrixFile: filepath.Join(t.TempDir(), "none.yaml")}); err == nil {
		t.Error("missing matrix file accepted")
	}
}

// BenchmarkModulesProbe logs in and out every run; BenchmarkModulesProbeKeptSession resumes the
// session the previous run kept (the daemon's default).
func BenchmarkModulesProbe(b *testing.B) { benchmarkModulesProbe(b, nil) }

func BenchmarkModulesProbeKeptSession(b *testing.B) { benchmarkModulesProbe(b, NewKeptSessions()) }

func benchmarkModulesProbe(b *testing.B, sessions *KeptSessions) {
	env := newSim(b, admin(inst("b503", "5.0.3",
		seisim.Module{Name: "mod-sei-pen", Version: "4.0.2"},
		seisim.Module{Name: "mod-wssei", Version: "3.0.1"},
		seisim.Module{Name: "peticionamento", Version: "4.3.0"})))
	p, err := NewModulesProber(ModulesOptions{Sessions: sessions, KeepSession: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	tg := env.target("b503")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := p.Probe(ctx, tg); !r.OK {
			b.Fatal(r.Error)
		}
	}
}
