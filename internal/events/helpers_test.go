package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors"
	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// fleet is a seisim fleet served on loopback, probed for real by the plain HTTP prober.
type fleet struct {
	targets []probe.Target
	prober  collectors.Prober
}

func newFleet(t testing.TB, n int) *fleet {
	t.Helper()
	sim := seisim.New(seisim.Generate(n, 1), seisim.Options{})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	f := &fleet{prober: collectors.NewHTTPProber(collectors.HTTPOptions{})}
	for _, name := range sim.Names() {
		in, _ := sim.Instance(name)
		f.targets = append(f.targets, probe.Target{Name: name, URL: srv.URL + "/" + name, Owner: in.Org,
			Environment: map[bool]string{true: "prod", false: "homolog"}[in.Producao],
			Labels:      map[string]string{"cloud": "a"}, Source: "static"})
	}
	return f
}

// results probes the fleet round-robin until n results exist, one round of the fleet at a time
// in parallel (the generated fleet has hanging instances that take the whole timeout).
func (f *fleet) results(t testing.TB, n int) []probe.Result {
	t.Helper()
	out := make([]probe.Result, n)
	var wg sync.WaitGroup
	for round := 0; round < n; round += len(f.targets) {
		for i := round; i < min(n, round+len(f.targets)); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = collectors.RunProbe(context.Background(), f.prober, f.targets[i%len(f.targets)], time.Second)
			}()
		}
		wg.Wait()
	}
	for _, r := range out {
		if r.ID == "" {
			t.Fatal("RunProbe left a result without an ID")
		}
	}
	return out
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines(substr string) []string {
	var out []string
	for _, l := range strings.Split(s.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// zincClient queries a ZincSearch through its Elasticsearch API.
type zincClient struct {
	url, user, pass string
}

func (z zincClient) do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(z.url, "/")+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(z.user, z.pass)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type hit struct {
	ID     string         `json:"_id"`
	Source map[string]any `json:"_source"`
}

// search runs a query on index and returns the total and the hits (up to 10,000).
func (z zincClient) search(t testing.TB, index string, query map[string]any) (int, []hit) {
	t.Helper()
	st, b := z.do(t, http.MethodPost, "/"+index+"/_search", map[string]any{"query": query, "size": 10000})
	if st == http.StatusNotFound || st == http.StatusBadRequest && strings.Contains(string(b), "does not exists") {
		return 0, nil
	}
	if st != http.StatusOK {
		t.Fatalf("search %s: HTTP %d: %s", index, st, b)
	}
	var res struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("search %s: %v: %s", index, err, b)
	}
	return res.Hits.Total.Value, res.Hits.Hits
}

// waitCount polls until index holds want documents (the store indexes in the background).
func (z zincClient) waitCount(t testing.TB, index string, want int, within time.Duration) []hit {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, hits := z.search(t, index, map[string]any{"match_all": map[string]any{}})
		if n == want && len(hits) == want {
			return hits
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d documents after %s, want %d", index, n, within, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// field reads a dotted path from a document source.
func field(src map[string]any, path string) any {
	var cur any = src
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func str(v any) string { return fmt.Sprint(v) }

func boolPtr(b bool) *bool { return &b }
