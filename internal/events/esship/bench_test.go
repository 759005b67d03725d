package esship

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/events/diskqueue"
	"github.com/vigia-sei/vigia/internal/events/ecs"
	"github.com/vigia-sei/vigia/internal/testenv"
)

// benchResult is a health probe run as the daemon produces it: values, phases, versions, labels.
func benchResult(i int) probe.Result {
	return probe.Result{
		ID: fmt.Sprintf("%032x", i),
		Target: probe.Target{Name: fmt.Sprintf("orgao-%04d", i%10000), URL: fmt.Sprintf("https://sei-%04d.exemplo.gov.br/", i%10000),
			Owner: "MGI", Environment: "prod", Labels: map[string]string{"cloud": "a", "cluster": "k8s-01"}, Source: "static"},
		Probe: probe.Health, Start: time.Now(), Duration: 87 * time.Millisecond, OK: true, State: probe.StateUp,
		Values: map[string]float64{"http_status_code": 200, "http_content_length": 22417, "tls_cert_expiry_timestamp_seconds": 1803859200,
			"production_mode": 1},
		Phases: map[string]time.Duration{"dns": time.Millisecond, "connect": 2 * time.Millisecond, "tls": 9 * time.Millisecond,
			"first_byte": 61 * time.Millisecond, "transfer": 14 * time.Millisecond},
		Versions: []probe.ComponentVersion{{Component: "sei", Version: "4.0.12", Source: "asset_suffix", Confidence: "exact"},
			{Component: "sip", Version: "3.0.2", Source: "asset_suffix", Confidence: "exact"},
			{Component: "infra", Version: "2.0.15", Source: "asset_suffix", Confidence: "exact"}},
	}
}

// fillQueue appends n encoded events; it returns the average document size.
func fillQueue(b *testing.B, q *diskqueue.Queue, n int, idPrefix string) int {
	b.Helper()
	enc := ecs.NewEncoder(ecs.Observer{Hostname: "bench", Version: "bench"}, "default")
	var rec []byte
	total := 0
	for i := 0; i < n; i++ {
		r := benchResult(i)
		r.ID = idPrefix + r.ID
		evs, err := enc.Result(nil, r)
		if err != nil {
			b.Fatal(err)
		}
		if rec, err = ecs.AppendRecord(rec[:0], evs[0]); err != nil {
			b.Fatal(err)
		}
		if err := q.Append(diskqueue.Droppable, evs[0].Time, rec); err != nil {
			b.Fatal(err)
		}
		total += len(evs[0].Doc)
	}
	return total / max(n, 1)
}

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuOf reads a child's CPU time from /proc (utime+stime, in clock ticks of 10 ms).
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

type sinkProc struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startSink(b *testing.B) *sinkProc {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("sink did not start: %v", err)
	}
	s := &sinkProc{addr: strings.TrimSpace(addr), cmd: cmd, stdin: stdin}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	return s
}

// shipAll runs a shipper on a filled queue until it is empty and returns the elapsed time and the
// CPU time this process spent.
func shipAll(b *testing.B, co ClientOptions, q *diskqueue.Queue, o Options) (time.Duration, time.Duration) {
	b.Helper()
	es, err := NewClient(co)
	if err != nil {
		b.Fatal(err)
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 200 * time.Millisecond
	}
	o.Logger = slog.New(slog.DiscardHandler)
	o.DeadLetterPath = filepath.Join(b.TempDir(), "dl.ndjson")
	s := New(es, q, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cpu0, t0 := cpuSelf(), time.Now()
	b.StartTimer()
	go func() { done <- s.Run(ctx) }()
	for q.Len() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed, cpu := time.Since(t0), cpuSelf()-cpu0
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if n := testutilCount(s); n != float64(b.N) {
		b.Fatalf("shipped %v of %d events", n, b.N)
	}
	return elapsed, cpu
}

func report(b *testing.B, elapsed, cpu time.Duration, docBytes int) {
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N)*1000, "cpu-ms/1k-events")
	b.ReportMetric(float64(docBytes), "bytes/event")
}

// BenchmarkShipToLocalSink measures the shipper alone: events already in the disk buffer, sent
// to a bulk sink in a child process that answers like Elasticsearch. Run with a fixed count:
//
//	go test ./internal/events/esship -run '^$' -bench ShipToLocalSink -benchtime 200000x
func BenchmarkShipToLocalSink(b *testing.B) {
	for _, gz := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "gzip"}[gz], func(b *testing.B) {
			sink := startSink(b)
			b.StopTimer()
			q, err := diskqueue.Open(b.TempDir(), diskqueue.Options{SyncInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			size := fillQueue(b, q, b.N, "")
			sinkCPU0 := cpuOf(sink.cmd.Process.Pid)
			elapsed, cpu := shipAll(b, ClientOptions{Addresses: []string{"http://" + sink.addr}, Compress: gz}, q, Options{Workers: 2})
			report(b, elapsed, cpu, size)
			b.ReportMetric((cpuOf(sink.cmd.Process.Pid)-sinkCPU0).Seconds()*1000/float64(b.N)*1000, "sink-cpu-ms/1k-events")
		})
	}
}

// BenchmarkShipToZinc measures the whole path to a real ZincSearch started for the benchmark;
// the store's own CPU is reported beside the shipper's.
//
//	go test ./internal/events/esship -run '^$' -bench ShipToZinc -benchtime 100000x
func BenchmarkShipToZinc(b *testing.B) {
	bin := testenv.ZincBin(b)
	port := testenv.FreePort(b)
	const pass = "bench-Zinc-1"
	z := testenv.StartProcess(b, bin, nil, []string{"ZINC_SERVER_ADDRESS=127.0.0.1", "ZINC_SERVER_PORT=" + strconv.Itoa(port),
		"ZINC_DATA_PATH=" + b.TempDir(), "ZINC_FIRST_ADMIN_USER=admin", "ZINC_FIRST_ADMIN_PASSWORD=" + pass,
		"ZINC_SENTRY=false", "ZINC_TELEMETRY=false"}, testenv.HTTPReady(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)))
	b.StopTimer()
	q, err := diskqueue.Open(b.TempDir(), diskqueue.Options{SyncInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	size := fillQueue(b, q, b.N, strconv.FormatInt(time.Now().UnixNano(), 36))
	zincCPU0 := cpuOf(z.Pid())
	elapsed, cpu := shipAll(b, ClientOptions{Addresses: []string{fmt.Sprintf("http://127.0.0.1:%d/es", port)},
		Username: "admin", Password: pass}, q, Options{Workers: 2, Namespace: "bench"})
	report(b, elapsed, cpu, size)
	b.ReportMetric((cpuOf(z.Pid())-zincCPU0).Seconds()*1000/float64(b.N)*1000, "store-cpu-ms/1k-events")
}

func testutilCount(s *Shipper) float64 {
	return testutil.ToFloat64(s.o.Metrics.Shipped.WithLabelValues("probe"))
}
