package statuspage

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/internal/seisim"
	"github.com/vigia-sei/vigia/internal/server"
	"github.com/vigia-sei/vigia/internal/testenv"
)

// artifactDir is where screenshots go: $VIGIA_ARTIFACTS when set (CI keeps it), else a temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("VIGIA_ARTIFACTS"); dir != "" {
		must(t, os.MkdirAll(dir, 0o755))
		return dir
	}
	return t.TempDir()
}

// TestBrowserFleetFilterInstanceAlert drives headless Chromium through what an on-call person
// does: open the fleet, filter by owner, open a failing instance and see its alert.
func TestBrowserFleetFilterInstanceAlert(t *testing.T) {
	chromium := testenv.Chromium(t)

	fleet := seisim.Generate(50, 1)
	const broken = "orgao-0003"
	for i := range fleet.Instances {
		if fleet.Instances[i].Name == broken {
			fleet.Instances[i].Faults = seisim.Faults{Status500: true}
		}
	}
	fx := newFixture(t, fleet)
	owner := fx.target(broken).Owner

	// Mounted on the daemon's server like in production, next to the JSON API.
	srv := server.New(server.Options{Gatherer: prometheus.NewRegistry(), Logger: quiet()})
	fx.latest.Mount(srv)
	srv.Handle("/api/v1/alerts", fx.alerts.APIHandler(""))
	page, err := New(Options{Fleet: fx.latest, Alerts: fx.alerts, Refresh: 2 * time.Second, Logger: quiet()})
	must(t, err)
	page.Mount(srv)
	web := httptest.NewServer(srv.Handler())
	t.Cleanup(web.Close)

	// Chromium's helpers may still write to the profile while t.TempDir's cleanup runs: remove
	// it ourselves, after the browser is gone, ignoring what they leave behind.
	profile, err := os.MkdirTemp("", "vigia-chromium-")
	must(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1440, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)

	// Console errors and CSP violations would mean the page is broken on a strict network.
	var mu sync.Mutex
	var problems []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Error())
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.LevelError {
				problems = append(problems, "console: "+e.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				problems = append(problems, "console.error called")
			}
		}
	})

	dir := artifactDir(t)
	shot := func(name string) {
		t.Helper()
		var png []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		must(t, os.WriteFile(path, png, 0o644))
		t.Logf("screenshot: %s (%d bytes)", path, len(png))
	}

	// 1. The fleet table.
	var rows int
	var headers, firstStamp string
	must(t, chromedp.Run(ctx,
		cdplog.Enable(),
		chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(`table.frota tbody tr`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("table.frota tbody tr").length`, &rows),
		chromedp.Text(`table.frota thead`, &headers, chromedp.ByQuery),
		chromedp.Text(`#atualizado`, &firstStamp, chromedp.ByQuery),
	))
	if rows != 50 {
		t.Errorf("fleet table shows %d rows, want 50", rows)
	}
	for _, h := range []string{"INSTÂNCIA", "ÓRGÃO", "AMBIENTE", "ESTADO", "VERSÃO SEI", "DERIVA", "MÓDULOS", "TRANSAÇÃO SINTÉTICA", "ALERTAS ATIVOS"} {
		if !strings.Contains(strings.ToUpper(headers), h) {
			t.Errorf("table headers %q lack %q", headers, h)
		}
	}
	shot("statuspage-frota.png")
	var screen []byte
	must(t, chromedp.Run(ctx, chromedp.CaptureScreenshot(&screen)))
	must(t, os.WriteFile(filepath.Join(dir, "statuspage-frota-tela.png"), screen, 0o644))

	// Keyboard: the first Tab reaches the skip link.
	var focused string
	must(t, chromedp.Run(ctx,
		chromedp.KeyEvent("\t"),
		chromedp.Evaluate(`document.activeElement.textContent`, &focused),
	))
	if focused != "Pular para o conteúdo" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}

	// The JavaScript refresh runs under the CSP: the stamp changes without a reload.
	var marker bool
	must(t, chromedp.Run(ctx,
		chromedp.Evaluate(`window.__semRecarga = true`, &marker),
		chromedp.Poll(`document.querySelector("#atualizado").textContent !== `+jsString(firstStamp), nil,
			chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`window.__semRecarga === true`, &marker),
	))
	if !marker {
		t.Errorf("the page reloaded instead of refreshing its data in place")
	}
	// Pause stops it and says so; the control works from the keyboard.
	var pressed, label string
	must(t, chromedp.Run(ctx,
		chromedp.Focus(`#pausar`, chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.AttributeValue(`#pausar`, "aria-pressed", &pressed, nil, chromedp.ByQuery),
		chromedp.Text(`#pausar`, &label, chromedp.ByQuery),
	))
	if pressed != "true" || label != "Retomar atualização" {
		t.Errorf("pause button after Enter: aria-pressed=%q, label %q", pressed, label)
	}

	// 2. Filter by owner with the form.
	var owners []string
	must(t, chromedp.Run(ctx,
		chromedp.SetValue(`#f-orgao`, owner, chromedp.ByQuery),
		chromedp.Click(`form.filtros button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitReady(`#f-orgao option[value="`+owner+`"][selected]`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("table.frota tbody tr td:nth-of-type(1)")).map(td => td.textContent.trim())`, &owners),
	))
	if len(owners) == 0 || len(owners) >= 50 {
		t.Fatalf("owner filter %s left %d rows", owner, len(owners))
	}
	for _, o := range owners {
		if o != owner {
			t.Errorf("owner filter %s shows a row of %s", owner, o)
		}
	}
	shot("statuspage-frota-filtrada.png")

	// 3. Open the failing instance from the filtered table.
	var title, alerts, reason string
	must(t, chromedp.Run(ctx,
		chromedp.Click(`//table[contains(@class,"frota")]//a[normalize-space(.)="`+broken+`"]`, chromedp.BySearch),
		chromedp.WaitVisible(`h1.titulo-instancia`, chromedp.ByQuery),
		chromedp.Text(`h1.titulo-instancia`, &title, chromedp.ByQuery),
		chromedp.Text(`#h-alertas + *`, &alerts, chromedp.ByQuery),
		chromedp.Text(`section.motivos`, &reason, chromedp.ByQuery),
	))
	if !strings.Contains(title, broken) || !strings.Contains(title, "Falha") {
		t.Errorf("instance title %q", title)
	}
	for _, want := range []string{"SEIDown", "crítico", "disparado"} {
		if !strings.Contains(alerts, want) {
			t.Errorf("active alerts of %s lack %q: %q", broken, want, alerts)
		}
	}
	if !strings.Contains(reason, "HTTP 500") {
		t.Errorf("reason %q lacks the HTTP status", reason)
	}
	var evidence string
	must(t, chromedp.Run(ctx, chromedp.Text(`article.evidencia`, &evidence, chromedp.ByQuery)))
	if !strings.Contains(evidence, "passo entry") || !strings.Contains(evidence, "Fatal error") {
		t.Errorf("failing step evidence not shown: %q", evidence)
	}
	shot("statuspage-instancia.png")

	// 4. The alerts page.
	must(t, chromedp.Run(ctx,
		chromedp.Navigate(web.URL+"/alertas"),
		chromedp.WaitVisible(`table.alertas`, chromedp.ByQuery),
	))
	shot("statuspage-alertas.png")

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported %s", p)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
