package statuspage

import (
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigia-sei/vigia/alerting"
	"github.com/vigia-sei/vigia/collectors/probe"
)

// seconds formats a duration in seconds the Brazilian way: "850 ms", "1,23 s", "12 s".
func seconds(s float64) string {
	switch {
	case s <= 0:
		return "0 ms"
	case s < 1:
		return strconv.Itoa(int(math.Round(s*1000))) + " ms"
	case s < 10:
		return decimal(s, 2) + " s"
	case s < 100:
		return decimal(s, 1) + " s"
	}
	return strconv.Itoa(int(math.Round(s))) + " s"
}

// decimal formats f with a decimal comma.
func decimal(f float64, prec int) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', prec, 64), ".", ",", 1)
}

// thousands formats n with dots between groups: 10.000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// daysText says how far a moment is, in days or hours.
func daysText(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 dia (já venceu)"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " dias"
}

// ago says how long ago t was, shortly.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "nunca"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "agora"
	case d < time.Minute:
		return "há " + strconv.Itoa(int(d.Seconds())) + " s"
	case d < time.Hour:
		return "há " + strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return "há " + strconv.Itoa(int(d.Hours())) + " h"
	}
	return "há " + strconv.Itoa(int(d.Hours()/24)) + " dias"
}

var probeNames = map[string]string{
	probe.Health: "Saúde", probe.HTTP: "HTTP", probe.Version: "Versão", probe.Modules: "Módulos",
	probe.Synthetic: "Transação sintética",
}

// probeOrder is how an instance page lists its probes.
var probeOrder = []string{probe.Health, probe.HTTP, probe.Synthetic, probe.Version, probe.Modules}

var driftNames = map[string]string{
	"none": "em dia", "patch": "patch", "minor": "minor", "major": "major", "ahead": "à frente",
	"unknown": "desconhecida",
}

var severityNames = map[string]string{"critical": "crítico", "warning": "aviso", "info": "informativo"}

var alertStateNames = map[string]string{
	"firing": "disparado", "pending": "pendente", "resolved": "resolvido", "inactive": "inativo",
}

var silenceStateNames = map[string]string{
	"active": "ativo", "pending": "agendado", "waiting": "aguardando janela", "expired": "expirado",
}

var silenceSourceNames = map[string]string{"config": "configuração", "api": "API"}

func lookup(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}

func (p *Page) funcs() template.FuncMap {
	return template.FuncMap{
		"seconds":   seconds,
		"thousands": thousands,
		"clock": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(p.loc).Format("02/01 15:04:05")
		},
		"fulltime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(p.loc).Format("02/01/2006 15:04:05 MST")
		},
		"isotime":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"probeName":  func(s string) string { return lookup(probeNames, s) },
		"driftName":  func(s string) string { return lookup(driftNames, s) },
		"severity":   func(s string) string { return lookup(severityNames, s) },
		"alertState": func(s string) string { return lookup(alertStateNames, s) },
		"silState":   func(s string) string { return lookup(silenceStateNames, s) },
		"silSource":  func(s string) string { return lookup(silenceSourceNames, s) },
		"state":      func(k string) stateDef { return states[k] },
		"pathEscape": url.PathEscape,
		"base":       func() string { return p.base },
		"asset":      func(name string) string { return p.base + "/assets/" + name + "?v=" + p.assets[name].tag },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"pct": func(part, total float64) string {
			if total <= 0 {
				return "0"
			}
			return strconv.FormatFloat(math.Max(1, math.Round(part/total*1000)/10), 'f', 1, 64)
		},
		"matchers": matcherText,
		"value": func(m map[string]float64, k string) string {
			v, ok := m[k]
			if !ok {
				return ""
			}
			return strconv.FormatFloat(v, 'f', -1, 64)
		},
		"add":      func(a, b int) int { return a + b },
		"duration": durationText,
		"alertRows": func(list []alerting.Alert, one bool) alertRows {
			return alertRows{List: list, One: one}
		},
		"yesno": func(b *bool, yes, no string) yesNo {
			if b == nil {
				return yesNo{}
			}
			if *b {
				return yesNo{Known: true, Yes: true, Text: yes}
			}
			return yesNo{Known: true, Text: no}
		},
	}
}

// alertRows feeds the shared alerts table; One hides the instance columns on an instance's page.
type alertRows struct {
	List []alerting.Alert
	One  bool
}

type yesNo struct {
	Known, Yes bool
	Text       string
}

// durationText writes a window length as operators say it: "2 h", "30 min", "1 h 30 min".
func durationText(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h > 0 && m > 0:
		return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
	case h > 0:
		return strconv.Itoa(h) + " h"
	case m > 0:
		return strconv.Itoa(m) + " min"
	}
	return d.String()
}
