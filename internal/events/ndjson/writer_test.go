package ndjson

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
		if err := w.Write([]byte(fmt.Sprintf(`{"n":%02d,"pad":"xxxxxxxxxx"}`, i))); err != nil {
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
	_ = w.Write([]byte(`{"a":1}`))
	_ = w.Close()

	// A restart 10 minutes later continues the same file.
	c.t = c.t.Add(10 * time.Minute)
	w, err = Open(o)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Write([]byte(`{"a":2}`))
	files, _ := readAll(t, dir)
	if len(files) != 1 {
		t.Fatalf("restart within MaxAge started a new file: %v", files)
	}
	// An hour after the file was created the next write starts a new one.
	c.t = c.t.Add(50 * time.Minute)
	_ = w.Write([]byte(`{"a":3}`))
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
	if err := w.Write([]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`)); err != nil { // 24 bytes
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Millisecond)
	if err := w.Write([]byte(`{"n":4}`), []byte(`{"n":5}`)); err != nil { // 16 more would pass 39
		t.Fatal(err)
	}
	if err := w.Write(); err != nil {
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
