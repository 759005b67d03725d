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
	// FlushInterval, when set, lets documents wait in memory up to this long, so that the documents
	// of all the probe runs in that time go out in one write (Write says why that matters). Zero
	// writes in every Write.
	FlushInterval time.Duration
	// Written, when set, is told the outcome of each write: the tags (the caller's numbers, such as
	// a dataset) of the documents it carried, valid only during the call, and the write's error,
	// nil when they are in the file. It is the only place a write's failure is reported.
	Written func(tags []uint8, err error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// maxPending is how many bytes of documents may wait for the flush before the Write that passes
// it writes them at once.
const maxPending = 1 << 20

// Writer appends documents to the current file. It is safe for concurrent use.
type Writer struct {
	o Options

	// mu guards what Write touches: the documents waiting for the next write.
	mu      sync.Mutex
	pending []byte
	tags    []uint8
	closed  bool

	// fileMu guards the file; it is held across a write, so writes keep the order of the documents.
	fileMu  sync.Mutex
	f       *os.File
	size    int64
	created time.Time
	// spare and spareTags are the batch being written, swapped with pending and tags.
	spare     []byte
	spareTags []uint8

	stop chan struct{}
	done chan struct{}
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
	if o.FlushInterval > 0 {
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.flushEvery(o.FlushInterval)
	}
	return w, nil
}

func (w *Writer) flushEvery(d time.Duration) {
	defer close(w.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.flush()
		}
	}
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

// Write queues documents, each to be a line of the file; tags, when not nil, names each for
// Written, which reports the write's outcome. Write itself fails only after Close (ErrClosed).
// Documents are written in the order Write received them, as whole lines: concurrent readers
// (tail -f, Filebeat) never see half a line.
//
// With a FlushInterval, the documents of every probe run in that interval go out in one write.
// Why: a write to a file is a system call Go's runtime treats as possibly blocking, and each one
// made while vigia's processor had been idle wakes the runtime's monitor thread, which then polls
// every 20 µs for a millisecond or more. One write per probe run (667 a second at 10,000
// instances) kept it polling: about a tenth of vigia's CPU. The cost is that a crash of vigia (not
// a stop: Close writes what waits) loses the documents of the last FlushInterval.
func (w *Writer) Write(tags []uint8, docs ...[]byte) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	for i, d := range docs {
		w.pending = append(append(w.pending, d...), '\n')
		var tag uint8
		if tags != nil {
			tag = tags[i]
		}
		w.tags = append(w.tags, tag)
	}
	now := w.o.FlushInterval <= 0 || len(w.pending) >= maxPending
	w.mu.Unlock()
	if now {
		w.flush()
	}
	return nil
}

// Flush writes the documents that wait now rather than at the next FlushInterval.
func (w *Writer) Flush() { w.flush() }

// flush writes the waiting documents in one write.
func (w *Writer) flush() {
	w.fileMu.Lock()
	defer w.fileMu.Unlock()
	w.mu.Lock()
	batch, tags := w.pending, w.tags
	w.pending, w.tags = w.spare[:0], w.spareTags[:0]
	w.mu.Unlock()
	if len(tags) == 0 {
		w.spare, w.spareTags = batch, tags
		return
	}
	err := w.writeLocked(batch)
	if w.o.Written != nil {
		w.o.Written(tags, err)
	}
	if cap(batch) > 2*maxPending {
		batch = nil
	}
	clear(tags)
	w.spare, w.spareTags = batch[:0], tags[:0]
}

// writeLocked appends a batch of whole lines to the current file, starting the next file first
// when the batch would pass MaxBytes or the file is older than MaxAge.
func (w *Writer) writeLocked(batch []byte) error {
	now := w.o.Now()
	if w.f != nil && (w.size+int64(len(batch)) > w.o.MaxBytes || now.Sub(w.created) >= w.o.MaxAge) && w.size > 0 {
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
	n, err := w.f.Write(batch)
	w.size += int64(n)
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

// Close writes the documents that wait and closes the current file.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	if w.stop != nil {
		close(w.stop)
		<-w.done
	}
	w.flush()
	w.fileMu.Lock()
	defer w.fileMu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
