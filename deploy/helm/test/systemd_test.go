package test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/internal/testenv"
)

const unitFile = "../../systemd/vigia.service"

// unitDirectives reads a unit file into section.key -> values (keys may repeat).
func unitDirectives(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("line %q is not key=value", line)
			}
			out[section+"."+k] = append(out[section+"."+k], v)
		}
	}
	return out
}

func TestSystemdUnitHardening(t *testing.T) {
	d := unitDirectives(t)
	want := map[string]string{
		"Service.ExecStart":               "/usr/local/bin/vigia run --config=/etc/vigia/vigia.yaml --log.format=logfmt",
		"Service.ExecReload":              "/bin/kill -HUP $MAINPID",
		"Service.DynamicUser":             "yes",
		"Service.StateDirectory":          "vigia",
		"Service.NoNewPrivileges":         "yes",
		"Service.ProtectSystem":           "strict",
		"Service.ProtectHome":             "yes",
		"Service.PrivateTmp":              "yes",
		"Service.RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Service.CapabilityBoundingSet":   "",
		"Service.MemoryDenyWriteExecute":  "yes",
		"Install.WantedBy":                "multi-user.target",
	}
	for k, v := range want {
		if got := d[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if f := d["Service.SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("SystemCallFilter = %q, want @system-service first", f)
	}
	// The unit's state directory is where vigia keeps state: WorkingDirectory makes the default
	// state_dir ("data", relative) land inside it.
	if got := d["Service.WorkingDirectory"]; len(got) != 1 || got[0] != "/var/lib/vigia" {
		t.Errorf("WorkingDirectory = %q, want /var/lib/vigia (the StateDirectory)", got)
	}
	checkFlagsExist(t, strings.Fields(d["Service.ExecStart"][0])[2:])
}

// systemd-analyze verifies the unit the way systemd would load it, and its offline security
// audit must rate the exposure 2.0 or better ("OK"). ExecStart is pointed at a stand-in
// executable because verify checks that the binary exists.
func TestSystemdUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if testenv.Integration() {
			t.Fatal("VIGIA_IT=1 but systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigia")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	// Same name as the real unit: systemd derives DynamicUser's user name from it.
	tmp := filepath.Join(dir, "vigia.service")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/vigia", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", tmp).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=yes", "--threshold=20", "--no-pager", tmp).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 or error: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Overall exposure level for vigia.service") {
		t.Errorf("systemd-analyze security printed no rating:\n%s", out)
	}
}
