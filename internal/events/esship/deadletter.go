package esship

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// deadLetter keeps events the store refused for good (a mapping error), one JSON line each, so an
// operator can see why and re-send them; it never blocks the stream. When the file passes
// maxBytes it becomes <path>.1 (replacing an older one) and a new file starts.
type deadLetter struct {
	path     string
	maxBytes int64

	mu   sync.Mutex
	f    *os.File
	size int64
}

type deadLetterLine struct {
	Time     time.Time       `json:"@timestamp"`
	Index    string          `json:"index"`
	ID       string          `json:"id"`
	Status   int             `json:"status,omitempty"`
	Error    deadLetterError `json:"error"`
	Document json.RawMessage `json:"document,omitempty"`
	Raw      string          `json:"raw,omitempty"`
}

type deadLetterError struct {
	Type   string `json:"type,omitempty"`
	Reason string `json:"reason"`
}

func newDeadLetter(path string, maxBytes int64) *deadLetter {
	if maxBytes <= 0 {
		maxBytes = 64 << 20
	}
	return &deadLetter{path: path, maxBytes: maxBytes}
}

func (d *deadLetter) write(l deadLetterLine) error {
	if !json.Valid(l.Document) {
		l.Raw, l.Document = string(l.Document), nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	b = append(b, '\n')
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f != nil && d.size+int64(len(b)) > d.maxBytes {
		_ = d.f.Close()
		d.f = nil
		if err := os.Rename(d.path, d.path+".1"); err != nil {
			return fmt.Errorf("rotate dead-letter file: %w", err)
		}
	}
	if d.f == nil {
		if err := os.MkdirAll(filepath.Dir(d.path), 0o750); err != nil {
			return fmt.Errorf("create dead-letter directory: %w", err)
		}
		f, err := os.OpenFile(d.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		d.f, d.size = f, st.Size()
	}
	n, err := d.f.Write(b)
	d.size += int64(n)
	if err != nil {
		return fmt.Errorf("write dead-letter file %s: %w", d.path, err)
	}
	return nil
}

func (d *deadLetter) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
