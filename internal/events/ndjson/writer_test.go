package ndjson

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func readAll(t *testing.T, dir string) (files []string, lines []string) {
	t.Helper()
	files, _ = filepath.Glob(filepath.Join(dir, "events-*.ndjson"))
	sort.Strings(files)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		fh.Close()
	}
	return files, lines
}

func TestRotatesBySizeAndKeepsNewestFiles(t *testing.T) {
	dir := t.TempDir()
	c := &clock{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	w, err := Open(Options{Dir: dir, MaxBytes: 100, MaxAge: time.Hour, MaxFiles: 3, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		c.t = c.t.Add(time.Millisecond) // distinct file names
		if err := w.Write(nil, []byte(fmt.Sprintf(`{"n":%02d,"pad":"xxxxxxxxxx"}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, lines := readAll(t, dir)
	if len(files) != 3 {
		t.Fatalf("kept %d files, want 3: %v", len(files), files)
	}
	// 29-byte lines, 3 per 100-byte file: the newest 3 files hold the last 8 documents (20 = 6*3+2).
	if len(lines) != 8 || lines[len(lines)-1] != `{"n":19,"pad":"xxxxxxxxxx"}` || lines[0] != `{"n":12,"pad":"xxxxxxxxxx"}` {
		t.Fatalf("lines kept: %v", lines)
	}
	for _, f := range files {
		if st, _ := os.Stat(f); st.Size() > 100 {
			t.Errorf("%s is %d bytes, over the 100-byte limit", f, st.Size())
		}
	}
}

func TestRotatesByAgeAndResumesYoungFile(t *testing.T) {
	dir := t.TempDir()
	c := &clock{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	o := Options{Dir: dir, MaxBytes: 1 << 20, MaxAge: time.Hour, MaxFiles: 10, Now: c.now}
	w, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(nil, []byte(`{"a":1}`))
	_ = w.Close()

	// A restart 10 minutes later continues the same file.
	c.t = c.t.Add(10 * time.Minute)
	w, err = Open(o)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write(nil, []byte(`{"a":2}`))
	files, _ := readAll(t, dir)
	if len(files) != 1 {
		t.Fatalf("restart within MaxAge started a new file: %v", files)
	}
	// An hour after the file was created the next write starts a new one.
	c.t = c.t.Add(50 * time.Minute)
	_ = w.Write(nil, []byte(`{"a":3}`))
	_ = w.Close()
	files, lines := readAll(t, dir)
	if len(files) != 2 || len(lines) != 3 || lines[2] != `{"a":3}` {
		t.Fatalf("after MaxAge: files %v lines %v", files, lines)
	}
	if filepath.Base(files[1]) != "events-20261123T110000.000000000Z.ndjson" {
		t.Errorf("new file named %s", filepath.Base(files[1]))
	}
}

// Several documents in one Write are lines of one file, in order; a batch that does not fit the
// current file starts the next one rather than splitting.
func TestWriteOfSeveralDocuments(t *testing.T) {
	dir := t.TempDir()
	c := &clock{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	w, err := Open(Options{Dir: dir, MaxBytes: 39, MaxAge: time.Hour, MaxFiles: 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(nil, []byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`)); err != nil { // 24 bytes
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Millisecond)
	if err := w.Write(nil, []byte(`{"n":4}`), []byte(`{"n":5}`)); err != nil { // 16 more would pass 39
		t.Fatal(err)
	}
	if err := w.Write(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, lines := readAll(t, dir)
	if len(files) != 2 || fmt.Sprint(lines) != `[{"n":1} {"n":2} {"n":3} {"n":4} {"n":5}]` {
		t.Fatalf("files %v, lines %v", files, lines)
	}
	if st, _ := os.Stat(files[0]); st.Size() != 24 {
		t.Errorf("first file is %d bytes, want the first batch's 24", st.Size())
	}
}

// written records what Written is told.
type written struct {
	mu    sync.Mutex
	calls [][]uint8
	errs  []error
}

func (w *written) record(tags []uint8, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, slices.Clone(tags))
	w.errs = append(w.errs, err)
}

func (w *written) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprint(w.calls, w.errs)
}

// With a flush interval documents wait in memory and go out together, in order, tagged; Close
// writes what waits; the Write that passes maxPending writes at once.
func TestFlushIntervalWritesDocumentsTogether(t *testing.T) {
	dir := t.TempDir()
	var got written
	w, err := Open(Options{Dir: dir, MaxBytes: 1 << 30, MaxAge: time.Hour, MaxFiles: 10, FlushInterval: time.Hour, Written: got.record})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write([]uint8{1, 2}, []byte(`{"n":1}`), []byte(`{"n":2}`))
	_ = w.Write(nil, []byte(`{"n":3}`))
	if _, lines := readAll(t, dir); len(lines) != 0 || got.String() != "[] []" {
		t.Fatalf("written before the flush: lines %v, Written %v", lines, got.String())
	}
	w.Flush()
	if _, lines := readAll(t, dir); fmt.Sprint(lines) != `[{"n":1} {"n":2} {"n":3}]` || got.String() != "[[1 2 0]] [<nil>]" {
		t.Fatalf("after the flush: lines %v, Written %v", lines, got.String())
	}
	w.Flush() // nothing waits: no write
	_ = w.Write([]uint8{3}, []byte(`{"n":4}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, lines := readAll(t, dir); len(lines) != 4 || got.String() != "[[1 2 0] [3]] [<nil> <nil>]" {
		t.Fatalf("after Close: lines %v, Written %v", lines, got.String())
	}
	if err := w.Write(nil, []byte(`{}`)); err != ErrClosed {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}

	big, err := Open(Options{Dir: t.TempDir(), MaxBytes: 1 << 30, MaxAge: time.Hour, MaxFiles: 10, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	doc := []byte(`{"pad":"` + strings.Repeat("x", 16<<10) + `"}`)
	for range maxPending / len(doc) {
		_ = big.Write(nil, doc)
	}
	if _, lines := readAll(t, big.o.Dir); len(lines) != 0 {
		t.Fatalf("%d lines written below maxPending", len(lines))
	}
	_ = big.Write(nil, doc)
	if _, lines := readAll(t, big.o.Dir); len(lines) != maxPending/len(doc)+1 {
		t.Errorf("%d lines written once maxPending was passed, want all %d", len(lines), maxPending/len(doc)+1)
	}
}

// A write that fails is reported with the tags of every document it carried.
func TestFailedWriteIsReportedWithItsDocuments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "events")
	var got written
	w, err := Open(Options{Dir: dir, MaxBytes: 1 << 30, MaxAge: time.Hour, MaxFiles: 10, FlushInterval: time.Hour, Written: got.record})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	_ = w.Write([]uint8{1, 1, 2}, []byte(`{}`), []byte(`{}`), []byte(`{}`))
	w.Flush()
	if len(got.calls) != 1 || fmt.Sprint(got.calls[0]) != "[1 1 2]" || got.errs[0] == nil ||
		!strings.Contains(got.errs[0].Error(), "create event file") {
		t.Errorf("Written %v, want the three documents' tags and the error creating the file", got.String())
	}
}

// Documents of concurrent writers are whole lines, none lost, with a flush running meanwhile.
func TestConcurrentWritesWithFlushesKeepWholeLines(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(Options{Dir: dir, MaxBytes: 1 << 30, MaxAge: time.Hour, MaxFiles: 10, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				_ = w.Write(nil, []byte(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, lines := readAll(t, dir)
	next := map[int]int{}
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l, `{"g":%d,"i":%d}`, &g, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if i != next[g] {
			t.Fatalf("writer %d: document %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	if len(lines) != 2000 {
		t.Errorf("%d lines, want 2000", len(lines))
	}
}
