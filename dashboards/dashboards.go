package dashboards

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed grafana/*.json prometheus/*.yml kibana/*.ndjson zabbix/*.yaml
var files embed.FS

// Directories of the embedded files, one per tool.
const (
	DirGrafana    = "grafana"
	DirPrometheus = "prometheus"
	DirKibana     = "kibana"
	DirZabbix     = "zabbix"
)

// KibanaFile is the saved objects file the Kibana import takes.
const KibanaFile = "kibana/vigia.ndjson"

// FS returns the embedded files, under grafana/, prometheus/, kibana/ and zabbix/.
func FS() fs.FS { return files }

// Names lists every embedded file (slash-separated paths), sorted.
func Names() []string {
	var out []string
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// Read returns one embedded file by its path (e.g. "grafana/vigia-fleet.json").
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dashboards: no embedded file %q (vigia dashboards list shows them): %w", name, err)
	}
	return b, nil
}

// GrafanaDashboards returns the Grafana dashboards by file name (without the directory).
func GrafanaDashboards() (map[string][]byte, error) {
	return readDir(DirGrafana, ".json")
}

func readDir(dir, ext string) (map[string][]byte, error) {
	entries, err := files.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ext) {
			continue
		}
		b, err := files.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("dashboards: %w", err)
		}
		out[e.Name()] = b
	}
	return out, nil
}

// Export writes every embedded file under dir, keeping the grafana/, prometheus/, kibana/ and
// zabbix/ subdirectories. Existing files of the same name are replaced (each through a temporary
// file and a rename, so a reader never sees half a dashboard); other files in dir are left alone.
func Export(dir string) error {
	if dir == "" {
		return errors.New("dashboards: export: no directory given")
	}
	for _, name := range Names() {
		b, err := files.ReadFile(name)
		if err != nil {
			return fmt.Errorf("dashboards: export: %w", err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("dashboards: export to %s: %w", dir, err)
		}
		if err := writeFile(dst, b); err != nil {
			return fmt.Errorf("dashboards: export to %s: %w", dir, err)
		}
	}
	return nil
}

func writeFile(dst string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
