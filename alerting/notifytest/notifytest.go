package notifytest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/alerting"
)

// Recorder is a Notifier that records the groups it receives.
type Recorder struct {
	mu        sync.Mutex
	groups    []alerting.Group
	failures  int
	failErr   error
	retryable bool
	attempts  int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Notify implements alerting.Notifier.
func (r *Recorder) Notify(ctx context.Context, g *alerting.Group) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.failures > 0 {
		r.failures--
		return r.retryable, r.failErr
	}
	if err := ctx.Err(); err != nil {
		return true, err
	}
	cp := *g
	cp.Alerts = append([]alerting.Alert(nil), g.Alerts...)
	r.groups = append(r.groups, cp)
	return false, nil
}

// FailNext makes the next n calls fail with err, retryable or not.
func (r *Recorder) FailNext(n int, err error, retryable bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures, r.failErr, r.retryable = n, err, retryable
}

// Groups returns what was delivered so far.
func (r *Recorder) Groups() []alerting.Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alerting.Group(nil), r.groups...)
}

// Take returns what was delivered and forgets it.
func (r *Recorder) Take() []alerting.Group {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.groups
	r.groups = nil
	return out
}

// Attempts counts every Notify call, failed ones included.
func (r *Recorder) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// File is a Notifier that appends each group as one JSON line to a file and syncs it, so what
// was delivered survives the process being killed.
type File struct {
	mu   sync.Mutex
	Path string
}

// Notify implements alerting.Notifier.
func (f *File) Notify(_ context.Context, g *alerting.Group) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.Marshal(g)
	if err != nil {
		return false, err
	}
	fh, err := os.OpenFile(f.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return true, err
	}
	if _, err := fh.Write(append(b, '\n')); err != nil {
		fh.Close()
		return true, err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return true, err
	}
	return false, fh.Close()
}

// ReadFile returns the groups a File notifier wrote; a missing file is no groups.
func ReadFile(path string) ([]alerting.Group, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []alerting.Group
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var g alerting.Group
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			return out, fmt.Errorf("%s: line %d: %w", path, len(out)+1, err)
		}
		out = append(out, g)
	}
	return out, sc.Err()
}

// Clock is a manual alerting.Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now implements alerting.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
