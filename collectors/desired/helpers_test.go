package desired

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gitRepo is a real repository driven with the git binary, standing in for the GitOps remote.
type gitRepo struct {
	t   testing.TB
	dir string
	env []string
}

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the git binary is required: %v", err)
	}
	home := t.TempDir()
	r := &gitRepo{t: t, dir: t.TempDir(), env: append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=vigia test", "GIT_AUTHOR_EMAIL=vigia@example.test",
		"GIT_COMMITTER_NAME=vigia test", "GIT_COMMITTER_EMAIL=vigia@example.test")}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitRepo) remove(rel string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(rel))); err != nil {
		r.t.Fatal(err)
	}
}

// copyTree copies a testdata directory into the work tree.
func (r *gitRepo) copyTree(src string) {
	r.t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r.write(filepath.ToSlash(rel), string(data))
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func (r *gitRepo) url() string { return "file://" + r.dir }

// logBuffer collects log lines; Run logs from its own goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testStore struct {
	*Store
	reg  *prometheus.Registry
	logs *logBuffer
}

func newTestStore(t testing.TB, opts Options) *testStore {
	t.Helper()
	if opts.URL != "" && opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(t.TempDir(), "cache")
	}
	reg := prometheus.NewRegistry()
	logs := &logBuffer{}
	s, err := New(opts, reg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testStore{Store: s, reg: reg, logs: logs}
}

// metric returns the value of a series as Prometheus would scrape it.
func (s *testStore) metric(t testing.TB, name string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		if len(mf.GetMetric()) != 1 {
			t.Fatalf("%s has %d series", name, len(mf.GetMetric()))
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not exported", name)
	return 0
}

func (s *testStore) assertMetrics(t testing.TB, expected string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(s.reg, strings.NewReader(expected), names...); err != nil {
		t.Error(err)
	}
}

func (s *testStore) mustDesired(t testing.TB, instance string) Versions {
	t.Helper()
	v, ok := s.Desired(instance)
	if !ok {
		t.Fatalf("no desired state for %q; instances: %v", instance, s.Instances())
	}
	return v
}
