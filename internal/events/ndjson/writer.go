package ndjson

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	prefix     = "events-"
	suffix     = ".ndjson"
	nameLayout = "20060102T150405.000000000Z"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("event file writer is closed")

// Options bound the files.
type Options struct {
	Dir      string
	MaxBytes int64
	MaxAge   time.Duration
	MaxFiles int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Writer appends documents to the current file. It is safe for concurrent use.
type Writer struct {
	o Options

	mu      sync.Mutex
	f       *os.File
	size    int64
	created time.Time
	buf     []byte
	closed  bool
}

// Open prepares the directory and continues the newest file if it is still within its limits.
func Open(o Options) (*Writer, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFiles < 1 {
		o.MaxFiles = 1
	}
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create event file directory %s: %w", o.Dir, err)
	}
	w := &Writer{o: o}
	files, err := w.files()
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		name := files[len(files)-1]
		created, err := time.Parse(nameLayout, strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix))
		st, serr := os.Stat(filepath.Join(o.Dir, name))
		if err == nil && serr == nil && o.Now().Sub(created) < o.MaxAge && st.Size() < o.MaxBytes {
			f, err := os.OpenFile(filepath.Join(o.Dir, name), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return nil, fmt.Errorf("open event file: %w", err)
			}
			w.f, w.size, w.created = f, st.Size(), created
		}
	}
	return w, nil
}

// files lists the event files, oldest first.
func (w *Writer) files() ([]string, error) {
	entries, err := os.ReadDir(w.o.Dir)
	if err != nil {
		return nil, fmt.Errorf("list event files: %w", err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, suffix) && !e.IsDir() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Write appends documents, each on its own line, in one write: concurrent readers (tail -f,
// Filebeat) never see half a line, and the documents of one probe run (a synthetic run is one per
// step and one for the run) cost one system call. They are in the file, if not yet on disk, when
// Write returns, so a crash of vigia loses none.
func (w *Writer) Write(docs ...[]byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	size := 0
	for _, d := range docs {
		size += len(d) + 1
	}
	now := w.o.Now()
	if w.f != nil && (w.size+int64(size) > w.o.MaxBytes || now.Sub(w.created) >= w.o.MaxAge) && w.size > 0 {
		if err := w.f.Close(); err != nil {
			return fmt.Errorf("close full event file: %w", err)
		}
		w.f = nil
	}
	if w.f == nil {
		if err := w.startLocked(now); err != nil {
			return err
		}
	}
	w.buf = w.buf[:0]
	for _, d := range docs {
		w.buf = append(append(w.buf, d...), '\n')
	}
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
	if err != nil {
		return fmt.Errorf("write event file: %w", err)
	}
	return nil
}

func (w *Writer) startLocked(now time.Time) error {
	created := now.UTC()
	name := prefix + created.Format(nameLayout) + suffix
	f, err := os.OpenFile(filepath.Join(w.o.Dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("create event file: %w", err)
	}
	w.f, w.size, w.created = f, 0, created
	files, err := w.files()
	if err != nil {
		return err
	}
	for len(files) > w.o.MaxFiles {
		if err := os.Remove(filepath.Join(w.o.Dir, files[0])); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove old event file: %w", err)
		}
		files = files[1:]
	}
	return nil
}

// Close closes the current file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
