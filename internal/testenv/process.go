package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// ReadyTimeout bounds how long StartProcess waits for ready to succeed.
	ReadyTimeout = 60 * time.Second
	// stopGrace is how long a process has to exit after SIGTERM before it gets SIGKILL.
	stopGrace = 10 * time.Second
	// logTail is how much of a process's log a failing test shows.
	logTail = 16 << 10
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may
// take it before the caller binds it; tests accept that small race for readable configs.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv.FreePort: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a child process started by StartProcess for one test.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// StartProcess starts name (a path, or a program on PATH) with args and the test's environment
// plus env ("KEY=value" entries), in its own process group, with stdout and stderr in a log
// file. It calls ready every 100 ms until it returns nil, for at most ReadyTimeout; a nil ready
// means no wait. The test fails if the process cannot start, exits before it is ready, or is
// not ready in time. The process group is stopped when the test ends (SIGTERM, then SIGKILL),
// and the end of the log is shown if the test failed. The Process lets a test stop it earlier.
func StartProcess(t testing.TB, name string, args []string, env []string, ready func() error) *Process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), filepath.Base(name)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testenv.StartProcess %s: creating log: %v", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("testenv.StartProcess %s: %v", name, err)
	}
	p := &Process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Logf("testenv: stopping %s: %v", p, err)
		}
		if t.Failed() {
			t.Logf("testenv: log of %s (%s):\n%s", p, p.logPath, p.tail())
		}
	})
	if ready == nil {
		return p
	}
	deadline := time.Now().Add(ReadyTimeout)
	for {
		err := ready()
		if err == nil {
			return p
		}
		if p.Exited() {
			t.Fatalf("testenv: %s exited before it was ready (%v); last readiness error: %v", p, p.waitErr, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %s not ready within %s: %v", p, ReadyTimeout, err)
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		case <-t.Context().Done():
			t.Fatalf("testenv: %s: test ended while waiting for readiness: %v", p, err)
		}
	}
}

func (p *Process) String() string {
	return fmt.Sprintf("%s (pid %d)", filepath.Base(p.name), p.cmd.Process.Pid)
}

// Pid returns the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file that holds the process's stdout and stderr.
func (p *Process) LogPath() string { return p.logPath }

// Log returns what the process wrote to stdout and stderr so far.
func (p *Process) Log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process group, and SIGKILL if it has not exited after 10 s. It
// returns nil once the process has ended, whatever its exit status; calling it again is a no-op.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		if p.Exited() {
			return
		}
		pgid := p.cmd.Process.Pid
		if err := signalGroup(pgid, false); err != nil && !errors.Is(err, syscall.ESRCH) {
			p.stopErr = fmt.Errorf("SIGTERM to process group %d: %w", pgid, err)
		}
		select {
		case <-p.done:
			return
		case <-time.After(stopGrace):
		}
		if err := signalGroup(pgid, true); err != nil && !errors.Is(err, syscall.ESRCH) {
			p.stopErr = fmt.Errorf("SIGKILL to process group %d after %s: %w", pgid, stopGrace, err)
			return
		}
		<-p.done
	})
	return p.stopErr
}

func (p *Process) tail() string {
	s := p.Log()
	if len(s) > logTail {
		s = "…" + s[len(s)-logTail:]
	}
	return strings.TrimRight(s, "\n")
}

// HTTPReady returns a readiness check for StartProcess: a GET of url must answer 2xx.
func HTTPReady(url string) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return httpOK(ctx, http.MethodGet, url, "", "", nil)
	}
}

// TCPReady returns a readiness check for StartProcess: addr must accept a TCP connection.
func TCPReady(addr string) func() error {
	return func() error {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}
