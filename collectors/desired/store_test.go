package desired

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const mgiValues = `instance:
  name: mgi-prod
sei:
  version: %s
  modules:
    mod-sei-pen: 4.0.3
sip:
  version: 5.0.3
`

func mgi(version string) string { return strings.Replace(mgiValues, "%s", version, 1) }

func TestRefreshFromGit(t *testing.T) {
	ctx := t.Context()
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	rev1 := remote.commit("fleet")

	s := newTestStore(t, Options{URL: remote.url(), Latest: Versions{SEI: "5.0.3"}})
	if _, ok := s.Desired("mgi-prod"); ok {
		t.Fatal("desired state present before the first refresh")
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if s.Revision() != rev1 {
		t.Errorf("Revision = %q, want %q", s.Revision(), rev1)
	}
	if got := s.Instances(); strings.Join(got, ",") != "anatel-homolog,dnit-prod,mgi-prod" {
		t.Errorf("Instances = %v", got)
	}
	v := s.mustDesired(t, "mgi-prod")
	if v.SEI != "5.0.3" || v.SIP != "5.0.3" || !maps.Equal(v.Modules, map[string]string{"mod-sei-pen": "4.0.3", "mod-wssei": "3.0.2"}) {
		t.Errorf("mgi-prod = %+v", v)
	}
	if got := Classify("5.0.1", v.SEI); got != LevelPatch {
		t.Errorf("drift of 5.0.1 against Git = %s", got)
	}
	if s.metric(t, "vigia_desired_refresh_success") != 1 || s.metric(t, "vigia_desired_instances") != 3 {
		t.Error("metrics do not show a successful refresh of 3 instances")
	}
	if ts := s.metric(t, "vigia_desired_last_success_timestamp_seconds"); time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("last success timestamp %v is not now", ts)
	}

	// A new commit changes the desired version.
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
	rev2 := remote.commit("mgi-prod to 5.0.4")
	if err := s.Refresh(ctx); err != nil {
		t.Fatalf("Refresh after commit: %v", err)
	}
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.4" || s.Revision() != rev2 {
		t.Errorf("after commit: SEI %q at %s, want 5.0.4 at %s", got, s.Revision(), rev2)
	}

	// The remote disappears: the error is returned, the last good state stays.
	moved := remote.dir + ".moved"
	if err := os.Rename(remote.dir, moved); err != nil {
		t.Fatal(err)
	}
	err := s.Refresh(ctx)
	if err == nil {
		t.Fatal("Refresh of an unreachable repository succeeded")
	}
	if !strings.Contains(err.Error(), remote.url()) {
		t.Errorf("error %q does not say which repository", err)
	}
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.4" || s.Revision() != rev2 {
		t.Errorf("state after failure: SEI %q at %s, want the last good 5.0.4 at %s", got, s.Revision(), rev2)
	}
	s.assertMetrics(t, `
# HELP vigia_desired_refresh_success Whether the last desired-state refresh read the repository and every values file (1) or not (0).
# TYPE vigia_desired_refresh_success gauge
vigia_desired_refresh_success 0
# HELP vigia_desired_refresh_errors_total Desired-state refreshes that failed or skipped invalid values files.
# TYPE vigia_desired_refresh_errors_total counter
vigia_desired_refresh_errors_total 1
# HELP vigia_desired_instances Instances in the current desired state.
# TYPE vigia_desired_instances gauge
vigia_desired_instances 3
`, "vigia_desired_refresh_success", "vigia_desired_refresh_errors_total", "vigia_desired_instances")

	// Failing again is counted but not logged again.
	if err := s.Refresh(ctx); err == nil {
		t.Fatal("second Refresh of an unreachable repository succeeded")
	}
	if n := strings.Count(s.logs.String(), "desired state refresh failed"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, s.logs)
	}
	if s.metric(t, "vigia_desired_refresh_errors_total") != 2 {
		t.Error("second failure not counted")
	}

	// The remote comes back with a new commit.
	if err := os.Rename(moved, remote.dir); err != nil {
		t.Fatal(err)
	}
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.5"))
	remote.commit("mgi-prod to 5.0.5")
	if err := s.Refresh(ctx); err != nil {
		t.Fatalf("Refresh after recovery: %v", err)
	}
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.5" {
		t.Errorf("after recovery SEI = %q", got)
	}
	if s.metric(t, "vigia_desired_refresh_success") != 1 || !strings.Contains(s.logs.String(), "desired state refresh recovered") {
		t.Error("recovery not reported")
	}
}

func TestInfoSeriesFollowVersions(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
	remote.commit("one")
	s := newTestStore(t, Options{URL: remote.url(), Latest: Versions{SEI: "5.0.4", Modules: map[string]string{"mod-wssei": "3.0.2"}}})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
	remote.commit("bump")
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The 5.0.3 series is gone, not left behind as a second "desired" version.
	s.assertMetrics(t, `
# HELP sei_desired_version_info Desired version of a component (sei, sip or a module name) of an instance, from the GitOps repository.
# TYPE sei_desired_version_info gauge
sei_desired_version_info{component="mod-sei-pen",instance="mgi-prod",version="4.0.3"} 1
sei_desired_version_info{component="sei",instance="mgi-prod",version="5.0.4"} 1
sei_desired_version_info{component="sip",instance="mgi-prod",version="5.0.3"} 1
# HELP sei_latest_version_info Fleet-wide latest version of a component (sei, sip or a module name), from the configuration.
# TYPE sei_latest_version_info gauge
sei_latest_version_info{component="mod-wssei",version="3.0.2"} 1
sei_latest_version_info{component="sei",version="5.0.4"} 1
`, "sei_desired_version_info", "sei_latest_version_info")

	// Removing the instance removes its series.
	remote.remove("instances/mgi-prod/values.yaml")
	remote.write("instances/other/values.yaml", "sei: {version: 4.1.5}\n")
	remote.commit("replace")
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Desired("mgi-prod"); ok {
		t.Error("deleted instance still desired")
	}
	s.assertMetrics(t, `
# HELP sei_desired_version_info Desired version of a component (sei, sip or a module name) of an instance, from the GitOps repository.
# TYPE sei_desired_version_info gauge
sei_desired_version_info{component="sei",instance="other",version="4.1.5"} 1
`, "sei_desired_version_info")
}

func TestRunPicksUpNewCommit(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
	remote.commit("one")
	s := newTestStore(t, Options{URL: remote.url(), Interval: 100 * time.Millisecond})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	waitFor(t, 5*time.Second, func() bool { v, ok := s.Desired("mgi-prod"); return ok && v.SEI == "5.0.3" })
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
	rev := remote.commit("bump")
	start := time.Now()
	waitFor(t, 5*time.Second, func() bool { return s.mustDesired(t, "mgi-prod").SEI == "5.0.4" && s.Revision() == rev })
	t.Logf("new commit picked up after %v (interval 100ms)", time.Since(start).Round(time.Millisecond))
	if time.Since(start) > time.Second {
		t.Errorf("new commit took %v to appear with a 100ms interval", time.Since(start))
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigurableFields(t *testing.T) {
	remote := newGitRepo(t)
	remote.copyTree("testdata/helm")
	remote.commit("helm layout")
	s := newTestStore(t, Options{
		URL:   remote.url(),
		Files: "clusters/**/values.yaml",
		Fields: Fields{Instance: "release.name", SEI: "global.sei.image.tag", SIP: "global.sip.image.tag",
			Modules: "global.seiModules"},
	})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	mgi := s.mustDesired(t, "mgi-prod")
	if mgi.SEI != "v5.0.3" || mgi.SIP != "v5.0.3" || mgi.Modules["mod-sei-pen"] != "4.0.3" {
		t.Errorf("mgi-prod = %+v", mgi)
	}
	if got := Classify("5.0.3", mgi.SEI); got != LevelNone {
		t.Errorf("observed 5.0.3 against image tag v5.0.3 = %s", got)
	}
	inss := s.mustDesired(t, "inss-prod")
	if inss.SEI != "4.1.5" || inss.SIP != "3.0.0" || inss.Modules["mod-sei-pen"] != "3.8.2" {
		t.Errorf("inss-prod = %+v", inss)
	}
}

func TestModuleFormsAndDirectoryNames(t *testing.T) {
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	remote.commit("fleet")
	s := newTestStore(t, Options{URL: remote.url()})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	// List form, and the name from the directory (the file has no instance.name).
	a := s.mustDesired(t, "anatel-homolog")
	if want := map[string]string{"peticionamento": "4.6.5", "mod-wssei": "3.0.1", "mod-sei-estatisticas": ""}; !maps.Equal(a.Modules, want) {
		t.Errorf("anatel-homolog modules = %v, want %v", a.Modules, want)
	}
	// Map form with nested {version} / {tag}.
	d := s.mustDesired(t, "dnit-prod")
	if want := map[string]string{"mod-sei-pen": "3.8.2", "mod-wssei": "2.2.0"}; !maps.Equal(d.Modules, want) || d.SEI != "4.0.12.15" {
		t.Errorf("dnit-prod = %+v", d)
	}
	// Desired hands out copies: a caller cannot corrupt the shared state.
	d.Modules["mod-sei-pen"] = "0.0.0"
	if s.mustDesired(t, "dnit-prod").Modules["mod-sei-pen"] != "3.8.2" {
		t.Error("modifying the result of Desired changed the store")
	}
}

func TestBrokenValuesFile(t *testing.T) {
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	remote.commit("fleet")
	s := newTestStore(t, Options{URL: remote.url()})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}

	// One commit breaks dnit-prod's file, adds a broken new file, and bumps mgi-prod.
	remote.write("instances/dnit-prod/values.yaml", "instance:\n  name: dnit-prod\nsei:\n  version: 4.0.12.16: oops\n")
	remote.write("instances/new-one/values.yaml", "sei:\n\tversion: 5.0.0\n")
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
	remote.commit("typo")
	err := s.Refresh(t.Context())
	var fe *FilesError
	if !errors.As(err, &fe) {
		t.Fatalf("Refresh = %v, want a *FilesError", err)
	}
	if len(fe.Files) != 2 || fe.Total != 4 {
		t.Errorf("FilesError = %v", err)
	}
	for _, want := range []string{"instances/dnit-prod/values.yaml:4: invalid YAML", "instances/new-one/values.yaml:2: invalid YAML"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
		if !strings.Contains(s.logs.String(), strings.SplitN(want, ":", 2)[0]) {
			t.Errorf("log does not name %s:\n%s", want, s.logs)
		}
	}
	// The good files of the same commit loaded; the broken file's instance kept its last good versions.
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.4" {
		t.Errorf("mgi-prod SEI = %q, want 5.0.4 from the same commit", got)
	}
	if got := s.mustDesired(t, "dnit-prod").SEI; got != "4.0.12.15" {
		t.Errorf("dnit-prod SEI = %q, want the last good 4.0.12.15", got)
	}
	if _, ok := s.Desired("anatel-homolog"); !ok {
		t.Error("anatel-homolog dropped")
	}
	if s.metric(t, "vigia_desired_invalid_files") != 2 || s.metric(t, "vigia_desired_refresh_success") != 0 {
		t.Error("metrics do not report the invalid files")
	}
	// Same commit again: same error, not logged twice.
	if err := s.Refresh(t.Context()); !errors.As(err, &fe) {
		t.Errorf("second Refresh = %v, want the same FilesError", err)
	}
	if n := strings.Count(s.logs.String(), "instances/dnit-prod/values.yaml"); n != 1 {
		t.Errorf("broken file logged %d times, want once", n)
	}

	// Fixing the file clears the error.
	remote.write("instances/dnit-prod/values.yaml", "instance:\n  name: dnit-prod\nsei:\n  version: 4.0.12.16\n")
	remote.remove("instances/new-one/values.yaml")
	remote.commit("fix")
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh after fix: %v", err)
	}
	if got := s.mustDesired(t, "dnit-prod").SEI; got != "4.0.12.16" {
		t.Errorf("dnit-prod SEI = %q after the fix", got)
	}
	if s.metric(t, "vigia_desired_invalid_files") != 0 || s.metric(t, "vigia_desired_refresh_success") != 1 {
		t.Error("metrics still report invalid files")
	}
}

func TestDuplicateInstanceNames(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/a/values.yaml", "instance: {name: mgi-prod}\nsei: {version: 5.0.3}\n")
	remote.write("instances/b/values.yaml", "instance: {name: mgi-prod}\nsei: {version: 4.1.5}\n")
	remote.commit("dup")
	s := newTestStore(t, Options{URL: remote.url()})
	err := s.Refresh(t.Context())
	if err == nil || !strings.Contains(err.Error(), `instances/b/values.yaml: instance "mgi-prod" is already defined in instances/a/values.yaml`) {
		t.Fatalf("Refresh = %v, want the duplicate reported", err)
	}
	// The first file in path order wins, deterministically.
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.3" {
		t.Errorf("mgi-prod SEI = %q, want 5.0.3 from instances/a", got)
	}
}

func TestNoMatchingFilesKeepsState(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
	rev := remote.commit("one")
	s := newTestStore(t, Options{URL: remote.url()})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Someone moves the directory: an empty desired state is a mistake, not a fleet without SEI.
	remote.git("mv", "instances", "sei-instances")
	remote.commit("rename")
	err := s.Refresh(t.Context())
	if err == nil || !strings.Contains(err.Error(), `no values file matches "instances/*/values.yaml"`) {
		t.Fatalf("Refresh = %v", err)
	}
	if s.Revision() != rev || s.mustDesired(t, "mgi-prod").SEI != "5.0.3" {
		t.Error("last good state not kept")
	}
	if err2 := s.Refresh(t.Context()); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("unchanged revision: Refresh = %v, want the same error", err2)
	}
}

func TestRefs(t *testing.T) {
	t.Run("annotated tag", func(t *testing.T) {
		remote := newGitRepo(t)
		remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
		rev := remote.commit("one")
		remote.git("tag", "-a", "release-1", "-m", "release 1")
		remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
		remote.commit("two")
		s := newTestStore(t, Options{URL: remote.url(), Ref: "release-1"})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if s.mustDesired(t, "mgi-prod").SEI != "5.0.3" || s.Revision() != rev {
			t.Errorf("tag release-1: SEI %q at %s, want 5.0.3 at %s", s.mustDesired(t, "mgi-prod").SEI, s.Revision(), rev)
		}
	})
	t.Run("branch other than main", func(t *testing.T) {
		remote := newGitRepo(t)
		remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
		remote.commit("one")
		remote.git("checkout", "-q", "-b", "homolog")
		remote.write("instances/mgi-prod/values.yaml", mgi("5.1.0"))
		remote.commit("homolog")
		remote.git("checkout", "-q", "main")
		s := newTestStore(t, Options{URL: remote.url(), Ref: "homolog"})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.1.0" {
			t.Errorf("branch homolog: SEI %q", got)
		}
	})
	t.Run("master when main is missing", func(t *testing.T) {
		remote := newGitRepo(t)
		remote.git("checkout", "-q", "-b", "master")
		remote.write("instances/mgi-prod/values.yaml", mgi("4.1.5"))
		remote.commit("one")
		s := newTestStore(t, Options{URL: remote.url()})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := s.mustDesired(t, "mgi-prod").SEI; got != "4.1.5" {
			t.Errorf("master fallback: SEI %q", got)
		}
	})
	t.Run("missing ref", func(t *testing.T) {
		remote := newGitRepo(t)
		remote.write("instances/mgi-prod/values.yaml", mgi("4.1.5"))
		remote.commit("one")
		s := newTestStore(t, Options{URL: remote.url(), Ref: "prod"})
		err := s.Refresh(t.Context())
		if err == nil || !strings.Contains(err.Error(), `ref "prod" not found (branches: main)`) {
			t.Fatalf("Refresh = %v", err)
		}
	})
}

// A revert by force-push (history rewritten to an older commit) is followed, like a hard reset.
func TestForcePushRollback(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
	rev1 := remote.commit("one")
	s := newTestStore(t, Options{URL: remote.url()})
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.4"))
	remote.commit("two")
	if err := s.Refresh(t.Context()); err != nil || s.mustDesired(t, "mgi-prod").SEI != "5.0.4" {
		t.Fatalf("Refresh = %v, SEI %q", err, s.mustDesired(t, "mgi-prod").SEI)
	}
	remote.git("reset", "-q", "--hard", rev1)
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.3" || s.Revision() != rev1 {
		t.Errorf("after rollback: SEI %q at %s, want 5.0.3 at %s", got, s.Revision(), rev1)
	}
	// A rewritten history that is new to the clone is followed as well.
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.5"))
	remote.git("commit", "-q", "-a", "--amend", "-m", "rewritten")
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.5" {
		t.Errorf("after amend: SEI %q", got)
	}
}

// The clone survives a restart: a new Store on the same cache directory reuses it.
func TestCacheReusedAcrossRestarts(t *testing.T) {
	remote := newGitRepo(t)
	remote.copyTree("testdata/fleet")
	rev := remote.commit("fleet")
	cache := filepath.Join(t.TempDir(), "cache")
	for i := range 2 {
		s := newTestStore(t, Options{URL: remote.url(), CacheDir: cache})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if s.Revision() != rev || len(s.Instances()) != 3 {
			t.Fatalf("run %d: revision %s, %d instances", i, s.Revision(), len(s.Instances()))
		}
	}
	shallow, _ := filepath.Glob(filepath.Join(cache, "*", "shallow"))
	if len(shallow) != 1 {
		t.Errorf("no shallow clone under %s", cache)
	}
}

func TestLocalPath(t *testing.T) {
	t.Run("plain directory", func(t *testing.T) {
		dir := t.TempDir() // outside any git work tree, unlike testdata/
		if err := os.CopyFS(dir, os.DirFS("testdata/fleet")); err != nil {
			t.Fatal(err)
		}
		s := newTestStore(t, Options{Path: dir})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(s.Instances()) != 3 || s.Revision() != "" {
			t.Errorf("instances %v revision %q", s.Instances(), s.Revision())
		}
	})
	t.Run("git work tree read as is", func(t *testing.T) {
		repo := newGitRepo(t)
		repo.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
		rev := repo.commit("one")
		repo.write("instances/mgi-prod/values.yaml", mgi("5.0.9")) // uncommitted
		s := newTestStore(t, Options{Path: repo.dir})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := s.mustDesired(t, "mgi-prod").SEI; got != "5.0.9" || s.Revision() != rev {
			t.Errorf("SEI %q at %q, want the uncommitted 5.0.9 at HEAD %s", got, s.Revision(), rev)
		}
	})
	t.Run("missing directory keeps state", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "instances", "mgi-prod", "values.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(mgi("5.0.3")), 0o644); err != nil {
			t.Fatal(err)
		}
		s := newTestStore(t, Options{Path: dir})
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := s.Refresh(t.Context()); err == nil {
			t.Fatal("Refresh of a missing directory succeeded")
		}
		if s.mustDesired(t, "mgi-prod").SEI != "5.0.3" || s.metric(t, "vigia_desired_refresh_success") != 0 {
			t.Error("last good state not kept")
		}
	})
}

func TestNewRejects(t *testing.T) {
	for name, opts := range map[string]Options{
		"neither url nor path": {},
		"both url and path":    {URL: "file:///x", Path: "/x"},
		"bad glob":             {Path: "/x", Files: "instances/[/values.yaml"},
		"negative interval":    {Path: "/x", Interval: -time.Second},
		"empty field segment":  {Path: "/x", Fields: Fields{SEI: "sei..version"}},
		"unreadable ssh key":   {URL: "ssh://git@example.test/repo.git", Auth: Auth{SSHKeyFile: "/nonexistent/key"}},
	} {
		if _, err := New(opts, nil, nil); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
}

func TestOneStorePerRegistry(t *testing.T) {
	s := newTestStore(t, Options{Path: "testdata/fleet"})
	if _, err := New(Options{Path: "testdata/fleet"}, s.reg, nil); err == nil {
		t.Error("a second Store registered the same metrics on the same registry")
	}
}

// Every fetch adds a pack; past the limit the clone is rebuilt from one shallow fetch.
func TestCacheCompaction(t *testing.T) {
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.0"))
	remote.commit("zero")
	cache := filepath.Join(t.TempDir(), "cache")
	s := newTestStore(t, Options{URL: remote.url(), CacheDir: cache})
	s.src.(*gitSource).maxPacks = 3
	for i := 1; i <= 8; i++ {
		v := fmt.Sprintf("5.0.%d", i)
		remote.write("instances/mgi-prod/values.yaml", mgi(v))
		rev := remote.commit(v)
		if err := s.Refresh(t.Context()); err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if got := s.mustDesired(t, "mgi-prod").SEI; got != v || s.Revision() != rev {
			t.Fatalf("refresh %d: SEI %q at %s, want %s at %s", i, got, s.Revision(), v, rev)
		}
		packs, _ := filepath.Glob(filepath.Join(cache, "*", "objects", "pack", "*.pack"))
		if len(packs) > 4 {
			t.Fatalf("refresh %d: %d packs, want at most 4", i, len(packs))
		}
	}
}

// Without CacheDir the clone goes to a private temporary directory that Run removes on exit.
func TestDefaultCacheIsTemporary(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	remote := newGitRepo(t)
	remote.write("instances/mgi-prod/values.yaml", mgi("5.0.3"))
	remote.commit("one")
	s, err := New(Options{URL: remote.url(), Interval: time.Hour}, nil, nil) // no CacheDir
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	waitFor(t, 10*time.Second, func() bool { _, ok := s.Desired("mgi-prod"); return ok })
	base := filepath.Join(xdg, "vigia", "desired")
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Fatalf("%s holds %d entries while running, want 1 temporary clone", base, len(entries))
	}
	cancel()
	<-done
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("%s still holds %d entries after Run returned", base, len(entries))
	}
	if _, ok := s.Desired("mgi-prod"); !ok {
		t.Error("state lost when Run returned")
	}
}
