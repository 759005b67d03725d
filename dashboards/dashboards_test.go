package dashboards_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/dashboards"
	"github.com/vigia-sei/vigia/dashboards/internal/gen"
)

func TestExportWritesEveryFileUnderItsDirectory(t *testing.T) {
	dir := t.TempDir()
	// A file of the operator's that export must leave alone, and a stale dashboard it must replace.
	mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
	mustWrite(t, filepath.Join(dir, "grafana", "vigia-fleet.json"), "stale")
	if err := dashboards.Export(dir); err != nil {
		t.Fatal(err)
	}
	names := dashboards.Names()
	for _, want := range []string{"grafana/vigia-fleet.json", "grafana/vigia-self.json", "prometheus/vigia.rules.yml",
		"prometheus/vigia.rules.test.yml", "kibana/vigia.ndjson", "zabbix/vigia-sei-template.yaml"} {
		if !contains(names, want) {
			t.Errorf("embedded files %v lack %s", names, want)
		}
	}
	for _, name := range names {
		want, err := dashboards.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("export did not write %s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("exported %s differs from the embedded file", name)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Errorf("export touched a file that is not its own: %q", b)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestExportFailsWithAnActionableError(t *testing.T) {
	if err := dashboards.Export(""); err == nil {
		t.Error("export to an empty directory name succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	mustWrite(t, file, "x")
	err := dashboards.Export(filepath.Join(file, "sub"))
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("export under a regular file: err = %v, want one naming %s", err, file)
	}
}

// The generated files are built from the code they describe (the Grafana SDK builders, the ECS
// field list, the Zabbix notifier): the embedded copies must be what that code produces today.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	want, err := gen.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range want {
		got, err := dashboards.Read(name)
		if err != nil {
			t.Errorf("%s is generated but not embedded: run go generate ./dashboards", name)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%s is stale: run go generate ./dashboards", name)
		}
	}
	for _, name := range dashboards.Names() {
		if _, ok := want[name]; !ok && !strings.HasPrefix(name, dashboards.DirPrometheus+"/") {
			t.Errorf("%s is embedded but no longer generated: delete it", name)
		}
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
