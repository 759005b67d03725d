package statuspage

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
	"github.com/vigia-sei/vigia/internal/seisim"
)

// bigFleet probes a 40-instance seisim fleet for real, then gives each of 10,000 instances
// (about 240 owners, three environments) the results of one of them, so the page renders the
// shapes real probes produce, and feeds the same results to the alert manager.
func bigFleet(b *testing.B, n int) *fixture {
	b.Helper()
	fx := newFixture(b, seisim.Generate(40, 3))
	byName := fx.raw
	targets := make([]probe.Target, n)
	for i := range targets {
		tmpl := fx.targets[i%len(fx.targets)]
		env := [...]string{"prod", "prod", "prod", "prod", "prod", "prod", "prod", "homolog", "homolog", "dev"}[i%10]
		targets[i] = probe.Target{Name: fmt.Sprintf("sei-%05d", i), URL: tmpl.URL, Environment: env,
			Owner: fmt.Sprintf("%s-%02d", tmpl.Owner, (i/len(fx.targets))%10), Labels: tmpl.Labels, Source: "file"}
	}
	fx.latest.SetTargets(targets)
	names := make([]string, n)
	for i, tg := range targets {
		names[i] = tg.Name
	}
	fx.alerts.SetInstances(names)
	for i, tg := range targets {
		for _, r := range byName[fx.targets[i%len(fx.targets)].Name] {
			r.Target = tg
			fx.latest.HandleResult(r)
			fx.alerts.HandleResult(r)
		}
	}
	fx.targets = targets
	return fx
}

// BenchmarkRenderFleet10000 is the server-side cost of one status page with 10,000 instances in
// the fleet: classify every instance, filter, sort, page and render 100 rows. B/page is the HTML
// sent (gzB/page compressed, as browsers receive it).
func BenchmarkRenderFleet10000(b *testing.B) {
	fx := bigFleet(b, 10000)
	b.Logf("fleet: %d instances, %d alerts", len(fx.targets), len(fx.alerts.Alerts()))
	for _, mode := range []struct {
		name string
		ttl  time.Duration
	}{
		// frio: every request classifies the whole fleet and reads the alerts (the worst case);
		// quente: requests within CacheTTL share that work, as auto-refreshing screens do.
		{"frio", -1},
		{"quente", time.Hour},
	} {
		p, err := New(Options{Fleet: fx.latest, Alerts: fx.alerts, Logger: quiet(), CacheTTL: mode.ttl})
		if err != nil {
			b.Fatal(err)
		}
		h := p.Handler()
		for _, bc := range []struct{ name, path string }{
			{"primeira-pagina", "/"},
			{"filtro-orgao-estado", "/?orgao=MGI-03&estado=atencao"},
			{"busca-texto", "/?q=sei-0999"},
			{"problemas-primeiro-pagina-50", "/?ordem=estado&pagina=50"},
			{"500-por-pagina", "/?por=500"},
			{"instancia", "/instancias/sei-05000"},
			{"alertas", "/alertas"},
		} {
			b.Run(mode.name+"/"+bc.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				var size int
				cpu0 := processCPU()
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d", bc.path, rec.Code)
					}
					size = rec.Body.Len()
				}
				// CPU time per page, GC included: steadier than ns/op on a shared machine.
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				var gz bytes.Buffer
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
				_, _ = zw.Write(rec.Body.Bytes())
				_ = zw.Close()
				b.ReportMetric(float64(size), "B/page")
				b.ReportMetric(float64(gz.Len()), "gzB/page")
			})
		}
	}
}

// processCPU is the user plus system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
