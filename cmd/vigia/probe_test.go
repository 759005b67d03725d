package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

func TestProbeCommandAgainstSeisim(t *testing.T) {
	fleet := seisim.Fleet{Instances: []seisim.Instance{{
		Name: "orgao-1", Org: "MGI", SEIVersion: "4.1.5",
		Modules: []seisim.Module{{Name: "mod-wssei", Version: "2.2.1"}, {Name: "mod-sei-pen", Version: "3.8.2"}},
		Users:   []seisim.User{{Login: "monitor", Password: "monitor123", Orgao: "0", Admin: true}},
	}}}
	srv := httptest.NewServer(seisim.New(fleet, seisim.Options{}).Handler())
	t.Cleanup(srv.Close)
	const pass = "monitor123"
	run := func(args ...string) (string, int) {
		cmd := exec.Command(vigiaBin, append([]string{"probe", "--url", srv.URL + "/orgao-1", "--user", "monitor",
			"--search", "00000.000001/2024-00"}, args...)...)
		cmd.Env = append(os.Environ(), "SEI_MON_PASS="+pass)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), pass) {
			t.Fatalf("password printed:\n%s", out)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"== health: OK", "versão sei      4.1.5", "versão infra    2.29.0",
		"módulo mod-wssei              2.2.1", "módulo mod-sei-pen            3.8.2", "passo login", "passo search", "passo logout"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, code = run("--probe", "synthetic", "-o", "json")
	var rs []probe.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || code != 0 || len(rs) != 1 {
		t.Fatalf("json output (exit %d): %v\n%s", code, err, out)
	}
	if len(rs[0].Steps) != 4 || !rs[0].OK {
		t.Errorf("synthetic run: %+v", rs[0])
	}

	_, code = run("--probe", "bogus")
	if code != 2 {
		t.Errorf("unknown probe: exit %d, want 2", code)
	}
}
