package statuspage

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestPagesAreAccessible checks the structure assistive technology relies on, on every page:
// language, skip link, labelled controls, table headers, icons hidden behind their text.
func TestPagesAreAccessible(t *testing.T) {
	fx := sharedSmall(t)
	h := newPage(t, fx, Options{}).Handler()
	for _, path := range []string{"/", "/?estado=falha", "/instancias/mgi-fora", "/alertas", "/instancias/nao-existe"} {
		doc := get(t, h, path).doc
		if lang := doc.Find("html").AttrOr("lang", ""); lang != "pt-BR" {
			t.Errorf("%s: html lang=%q", path, lang)
		}
		if doc.Find(`a.pular[href="#conteudo"]`).Length() != 1 || doc.Find("main#conteudo").Length() != 1 {
			t.Errorf("%s: no skip link to the main content", path)
		}
		if doc.Find("h1").Length() != 1 {
			t.Errorf("%s: %d h1 elements", path, doc.Find("h1").Length())
		}
		doc.Find("input, select").Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
				t.Errorf("%s: control %s without a label", path, goquery.NodeName(s)+"#"+id)
			}
		})
		doc.Find("thead th").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("scope", "") != "col" {
				t.Errorf("%s: column header %q without scope=col", path, s.Text())
			}
		})
		doc.Find("svg.ic").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("aria-hidden", "") != "true" {
				t.Errorf("%s: icon not hidden from screen readers", path)
			}
		})
		// A state is never an icon or a colour alone: every badge says it in words.
		doc.Find(".estado").Each(func(_ int, s *goquery.Selection) {
			if strings.TrimSpace(s.Text()) == "" {
				t.Errorf("%s: state badge without text", path)
			}
		})
		doc.Find(".rolagem").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("tabindex", "") != "0" || s.AttrOr("role", "") != "region" {
				t.Errorf("%s: scrollable table not reachable by keyboard", path)
			}
		})
	}
}

// TestStateColoursHaveContrast reads the palette from the stylesheet: each state's text colour
// must reach 4.5:1 (WCAG AA) on its badge background and on white.
func TestStateColoursHaveContrast(t *testing.T) {
	css, err := webFS.ReadFile("web/vigia.css")
	must(t, err)
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	for _, st := range []string{"ok", "falha", "atencao", "manut", "nada"} {
		fg, bg := vars[st], vars[st+"-bg"]
		if fg == "" || bg == "" {
			t.Fatalf("palette lacks --%s or --%s-bg", st, st)
		}
		for _, back := range []string{bg, "#ffffff", vars["fundo-alt"]} {
			if r := contrast(fg, back); r < 4.5 {
				t.Errorf("--%s %s on %s: contrast %.2f < 4.5", st, fg, back, r)
			}
		}
	}
	for _, pair := range [][2]string{{"texto", "fundo"}, {"suave", "fundo"}, {"suave", "fundo-alt"}, {"link", "fundo"}, {"link", "fundo-alt"}} {
		if r := contrast(vars[pair[0]], vars[pair[1]]); r < 4.5 {
			t.Errorf("--%s on --%s: contrast %.2f < 4.5", pair[0], pair[1], r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}
