package desired

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fleetDir writes n per-instance values files, the layout of a large provisioning service.
func fleetDir(b *testing.B, dir string, n int) {
	b.Helper()
	for i := range n {
		p := filepath.Join(dir, "instances", fmt.Sprintf("orgao-%05d", i), "values.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		content := fmt.Sprintf("instance:\n  name: orgao-%05d\n  owner: O%d\nsei:\n  version: 5.0.%d\n  modules:\n    mod-sei-pen: 4.0.3\n    mod-wssei: 3.0.2\n    peticionamento: 4.6.5\nsip:\n  version: 5.0.3\n", i, i%50, i%4)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshDir1000 is a full read and parse of 1,000 values files from a local directory.
func BenchmarkRefreshDir1000(b *testing.B) {
	dir := b.TempDir()
	fleetDir(b, dir, 1000)
	s := newTestStore(b, Options{Path: dir})
	for b.Loop() {
		if err := s.Refresh(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	if len(s.Instances()) != 1000 {
		b.Fatalf("%d instances", len(s.Instances()))
	}
}

// BenchmarkRefreshGitUnchanged is the steady state of the Run loop: the remote ref has not moved,
// so a refresh costs one ref listing.
func BenchmarkRefreshGitUnchanged(b *testing.B) {
	remote := newGitRepo(b)
	fleetDir(b, remote.dir, 1000)
	remote.commit("fleet")
	s := newTestStore(b, Options{URL: remote.url()})
	if err := s.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.Refresh(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshGitNewCommit fetches a new commit of a 1,000-instance repository and re-reads it.
func BenchmarkRefreshGitNewCommit(b *testing.B) {
	remote := newGitRepo(b)
	fleetDir(b, remote.dir, 1000)
	remote.commit("fleet")
	s := newTestStore(b, Options{URL: remote.url()})
	if err := s.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		remote.write("instances/orgao-00000/values.yaml", fmt.Sprintf("sei: {version: 5.1.%d}\n", i))
		remote.commit(fmt.Sprint("bump ", i))
		b.StartTimer()
		if err := s.Refresh(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDesired(b *testing.B) {
	s := newTestStore(b, Options{Path: "testdata/fleet"})
	if err := s.Refresh(b.Context()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := s.Desired("mgi-prod"); !ok {
			b.Fatal("missing")
		}
	}
}
