package events

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
)

// crashChildEnv turns the test binary into a daemon stand-in that hands events to a pipeline
// and then waits to be killed.
const crashChildEnv = "VIGIA_EVENTS_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		n, _ := strconv.Atoi(os.Getenv(crashChildEnv + "_N"))
		os.Exit(crashChild(dir, n))
	}
	os.Exit(m.Run())
}

func crashChild(state string, n int) int {
	// The store address is a closed port: nothing ships, everything stays in the buffer.
	p, err := NewFromConfig(esConfig(state, "http://127.0.0.1:9"), nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < n; i++ {
		p.HandleResult(probe.Result{ID: fmt.Sprintf("crash-%05d", i), Target: probe.Target{Name: "sei-1", URL: "https://sei.exemplo/"},
			Probe: probe.Health, Start: time.Now(), Duration: time.Millisecond, OK: true})
	}
	fmt.Println("handed")
	select {} // killed here, without Close
}

// kill -9 right after HandleResult returned loses no event: each one was written to the buffer
// file by then.
func TestKilledDaemonLosesNoBufferedEvent(t *testing.T) {
	state := t.TempDir()
	const n = 3000
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashChildEnv+"="+state, crashChildEnv+"_N="+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "handed\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("child: %q %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	q, err := diskqueue.Open(state+"/buffer", diskqueue.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	recs, _, err := q.Next(nil, nil, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		ev, err := ecs.ParseRecord(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		seen[ev.ID] = true
	}
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("crash-%05d", i); !seen[id] {
			t.Fatalf("event %s lost by the kill (%d of %d in the buffer)", id, len(seen), n)
		}
	}
	if len(recs) != n {
		t.Errorf("%d records in the buffer, want %d", len(recs), n)
	}
}
