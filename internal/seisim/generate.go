package seisim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Generate returns a varied, deterministic fleet of n instances for the seed: SEI versions from
// 3.0 to 5.0 with the Infra and SIP versions that ship with them, module mixes (mostly
// compatible, a few drifted, broken or inactive), a few faults and some non-production instances.
func Generate(n int, seed int64) Fleet {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5e151))
	f := Fleet{Seed: seed, Instances: make([]Instance, 0, n)}
	for i := 0; i < n; i++ {
		f.Instances = append(f.Instances, genInstance(rng, i))
	}
	return f
}

var genOrgs = [...]string{"MGI", "ANATEL", "CADE", "AGU", "MEC", "MS", "IBAMA", "INSS", "PRF", "ANAC",
	"ANEEL", "ANTT", "CGU", "MD", "MJSP", "MRE", "IPEA", "INEP", "FUNAI", "ANP", "SEAD", "SEFAZ", "DETRAN", "TCE"}

// genModules are per-line module versions that the compatibility matrix in SEI.md accepts
// (peticionamento and estatísticas versions for old lines are plausible values).
var genModules = map[string]map[string]string{
	"3.0.11": {"mod-wssei": "0.7.12", "mod-sei-pen": "1.1.2", "peticionamento": "2.0.5"},
	"4.0.1":  {"mod-wssei": "2.1.2", "mod-sei-pen": "3.8.2", "peticionamento": "4.0.3"},
	"4.1.5":  {"mod-wssei": "2.2.1", "mod-sei-pen": "3.8.2", "peticionamento": "4.1.2", "mod-sei-estatisticas": "2.0.1"},
	"5.0.0":  {"mod-wssei": "3.0.0", "mod-sei-pen": "4.0.1", "peticionamento": "4.3.0", "mod-sei-estatisticas": "2.0.1"},
	"5.0.3":  {"mod-wssei": "3.0.1", "mod-sei-pen": "4.0.2", "peticionamento": "4.3.0"},
}

// genDrift are module versions that do not run on the line they are put on (drift to detect).
var genDrift = map[string]string{"mod-wssei": "2.2.1", "mod-sei-pen": "3.8.2", "peticionamento": "4.6.5"}

func genInstance(rng *rand.Rand, i int) Instance {
	line := pickLine(rng)
	in := Instance{
		Name:         fmt.Sprintf("orgao-%04d", i+1),
		Org:          genOrgs[rng.IntN(len(genOrgs))],
		SEIVersion:   line.SEI,
		SIPVersion:   line.SIP,
		InfraVersion: line.Infra,
		Producao:     rng.Float64() < 0.85,
		Latency:      Latency{Mean: time.Duration(5+rng.IntN(40)) * time.Millisecond, Jitter: time.Duration(1+rng.IntN(10)) * time.Millisecond},
		Users:        []User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: rng.Float64() < 0.5}},
		Protocols:    []string{"00000.000001/2024-00"},
	}
	for _, name := range [...]string{"mod-wssei", "mod-sei-pen", "peticionamento", "mod-sei-estatisticas"} {
		v, ok := genModules[line.SEI][name]
		if !ok || rng.Float64() > map[string]float64{"mod-wssei": 0.6, "mod-sei-pen": 0.5, "peticionamento": 0.4, "mod-sei-estatisticas": 0.3}[name] {
			continue
		}
		m := Module{Name: name, Version: v}
		switch r := rng.Float64(); {
		case r < 0.06:
			if d, ok := genDrift[name]; ok && d != v {
				m.Version = d
			}
		case r < 0.09:
			m.Broken = true
		case r < 0.12:
			m.Inactive = true
		}
		in.Modules = append(in.Modules, m)
	}
	for k := rng.IntN(5); k > 0; k-- {
		in.Protocols = append(in.Protocols, fmt.Sprintf("%05d.%06d/20%02d-%02d", rng.IntN(99999), rng.IntN(999999), 18+rng.IntN(7), rng.IntN(100)))
	}
	switch r := rng.Float64(); {
	case r < 0.02:
		in.Faults.Down = true
	case r < 0.04:
		in.Faults.Status500 = true
	case r < 0.06:
		in.Faults.Maintenance = true
	case r < 0.07:
		in.Faults.Hang = true
	case r < 0.10:
		in.Faults.Slow = time.Duration(2+rng.IntN(7)) * time.Second
	case r < 0.12:
		other := knownLines[rng.IntN(len(knownLines))].SEI
		if other != in.SEIVersion {
			in.Faults.WrongVersion = other
		}
	case r < 0.15:
		in.Faults.TLSExpiresIn = time.Duration(2+rng.IntN(20)) * 24 * time.Hour
	}
	return in
}

func pickLine(rng *rand.Rand) versionLine {
	switch r := rng.Float64(); {
	case r < 0.05:
		return knownLines[0]
	case r < 0.20:
		return knownLines[1]
	case r < 0.60:
		return knownLines[2]
	case r < 0.75:
		return knownLines[3]
	default:
		return knownLines[4]
	}
}

// Validate checks what routing and page rendering rely on: unique names usable as a path
// segment and a DNS label, and órgão siglas SIP accepts.
func (f Fleet) Validate() error {
	seen := make(map[string]bool, len(f.Instances))
	var errs []error
	for i, in := range f.Instances {
		switch {
		case in.Name == "":
			errs = append(errs, fmt.Errorf("instances[%d]: name is empty", i))
		case !safeToken(in.Name, false):
			errs = append(errs, fmt.Errorf("instances[%d]: name %q must contain only a-z, 0-9, '-' and '_' (it is a URL path segment and a host label)", i, in.Name))
		case seen[in.Name]:
			errs = append(errs, fmt.Errorf("instances[%d]: duplicate name %q", i, in.Name))
		}
		seen[in.Name] = true
		if in.Org != "" && !safeToken(in.Org, true) {
			errs = append(errs, fmt.Errorf("instances[%d] (%s): org %q must contain only letters, digits, '-' and '_' (SIP rejects other siglas)", i, in.Name, in.Org))
		}
		for _, v := range []struct{ field, val string }{{"sei_version", in.SEIVersion}, {"sip_version", in.SIPVersion}, {"infra_version", in.InfraVersion}} {
			if v.val != "" && !dotted(v.val) {
				errs = append(errs, fmt.Errorf("instances[%d] (%s): %s %q is not a dotted version", i, in.Name, v.field, v.val))
			}
		}
	}
	return errors.Join(errs...)
}

func safeToken(s string, upper bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || (upper && c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return s != ""
}

func dotted(v string) bool {
	for _, p := range splitDots(v) {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

func splitDots(v string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return out
}
