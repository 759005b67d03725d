package sei

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

//go:embed modules.yaml
var modulesYAML []byte

// ModuleSpec is how one module shows itself.
type ModuleSpec struct {
	Key          string   `yaml:"key"`
	Names        []string `yaml:"names,omitempty"`
	Class        string   `yaml:"class,omitempty"`
	Dir          string   `yaml:"dir,omitempty"`
	Param        string   `yaml:"param,omitempty"`
	MenuPrefixes []string `yaml:"menu_prefixes,omitempty"`
	WSDLServices []string `yaml:"wsdl_services,omitempty"`
	REST         bool     `yaml:"rest,omitempty"`
}

// CompatRule says a range of module versions runs on these SEI version ranges.
type CompatRule struct {
	Module string   `yaml:"module"`
	SEI    []string `yaml:"sei"`
}

type modulesFile struct {
	Modules       []ModuleSpec            `yaml:"modules"`
	Compatibility map[string][]CompatRule `yaml:"compatibility"`
}

// Catalogue is the module catalogue and compatibility matrix.
type Catalogue struct {
	specs  []ModuleSpec
	byNorm map[string]string // normalised key, class, dir or name → key
	compat map[string][]CompatRule
}

// DefaultCatalogue is the embedded modules.yaml.
func DefaultCatalogue() *Catalogue {
	c, err := parseCatalogue(modulesYAML, nil)
	if err != nil {
		panic(fmt.Sprintf("sei: embedded modules.yaml: %v", err)) // a build-time bug, caught by tests
	}
	return c
}

// LoadCatalogue merges a YAML file (same format as modules.yaml) over the embedded catalogue: a
// module it declares replaces the embedded one of the same key, its compatibility list replaces the
// embedded list of that module.
func LoadCatalogue(path string) (*Catalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("module matrix: %w", err)
	}
	c, err := parseCatalogue(b, DefaultCatalogue())
	if err != nil {
		return nil, fmt.Errorf("module matrix %s: %w", path, err)
	}
	return c, nil
}

func parseCatalogue(b []byte, base *Catalogue) (*Catalogue, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f modulesFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	c := &Catalogue{byNorm: map[string]string{}, compat: map[string][]CompatRule{}}
	specs := map[string]ModuleSpec{}
	var order []string
	if base != nil {
		for _, s := range base.specs {
			specs[s.Key] = s
			order = append(order, s.Key)
		}
		for k, v := range base.compat {
			c.compat[k] = v
		}
	}
	for i, s := range f.Modules {
		if s.Key == "" {
			return nil, fmt.Errorf("modules[%d]: key is required", i)
		}
		if _, ok := specs[s.Key]; !ok {
			order = append(order, s.Key)
		}
		specs[s.Key] = s
	}
	for mod, rules := range f.Compatibility {
		for i, r := range rules {
			if err := checkRange(r.Module); err != nil {
				return nil, fmt.Errorf("compatibility.%s[%d].module: %w", mod, i, err)
			}
			if len(r.SEI) == 0 {
				return nil, fmt.Errorf("compatibility.%s[%d].sei: at least one SEI range is required", mod, i)
			}
			for j, sr := range r.SEI {
				if err := checkRange(sr); err != nil {
					return nil, fmt.Errorf("compatibility.%s[%d].sei[%d]: %w", mod, i, j, err)
				}
			}
		}
		c.compat[mod] = rules
		if _, ok := specs[mod]; !ok {
			specs[mod] = ModuleSpec{Key: mod}
			order = append(order, mod)
		}
	}
	for _, k := range order {
		s := specs[k]
		c.specs = append(c.specs, s)
		for _, n := range append([]string{s.Key, s.Class, s.Dir}, s.Names...) {
			if n != "" {
				c.byNorm[NormalizeName(n)] = s.Key
			}
		}
	}
	return c, nil
}

// Modules lists the catalogue in file order.
func (c *Catalogue) Modules() []ModuleSpec { return append([]ModuleSpec(nil), c.specs...) }

// Spec returns a module's spec by key.
func (c *Catalogue) Spec(key string) (ModuleSpec, bool) {
	for _, s := range c.specs {
		if s.Key == key {
			return s, true
		}
	}
	return ModuleSpec{}, false
}

// Key maps a name as seen (admin page Nome, ConfiguracaoSEI class, directory, key) to the module
// key. Unknown names become a slug of themselves, so they still get a stable label.
func (c *Catalogue) Key(name string) (key string, known bool) {
	n := NormalizeName(name)
	if k, ok := c.byNorm[n]; ok {
		return k, true
	}
	return strings.ReplaceAll(n, " ", "-"), false
}

// KeyForAction maps an acao= value to the module whose menu prefix it carries.
func (c *Catalogue) KeyForAction(acao string) (string, bool) {
	for _, s := range c.specs {
		for _, p := range s.MenuPrefixes {
			if strings.HasPrefix(acao, p) {
				return s.Key, true
			}
		}
	}
	return "", false
}

// KeyForDir maps a modulos/<dir>/ directory to its module.
func (c *Catalogue) KeyForDir(dir string) (string, bool) {
	for _, s := range c.specs {
		if s.Dir != "" && strings.EqualFold(strings.TrimSuffix(s.Dir, "/"), dir) {
			return s.Key, true
		}
	}
	return "", false
}

// Compatible says whether module version mv runs on SEI version sv. known is false when no rule
// covers mv or either version is missing.
func (c *Catalogue) Compatible(module, mv, sv string) (ok, known bool) {
	if mv == "" || sv == "" {
		return false, false
	}
	for _, r := range c.compat[module] {
		if !InRange(mv, r.Module) {
			continue
		}
		for _, s := range r.SEI {
			if InRange(sv, s) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// SupportedSEI lists the SEI ranges a module version supports, for an operator-facing detail.
func (c *Catalogue) SupportedSEI(module, mv string) []string {
	for _, r := range c.compat[module] {
		if InRange(mv, r.Module) {
			return append([]string(nil), r.SEI...)
		}
	}
	return nil
}

func checkRange(r string) error {
	r = strings.TrimSpace(r)
	switch {
	case r == "":
		return fmt.Errorf("empty range")
	case strings.HasPrefix(r, ">=") || strings.HasPrefix(r, "<="):
		if !isVersion(strings.TrimSpace(r[2:])) {
			return fmt.Errorf("bad bound %q", r)
		}
	case strings.HasSuffix(r, "*"):
		p := strings.TrimSuffix(strings.TrimSuffix(r, "*"), ".")
		if !isVersion(p) && !isDigits(p) {
			return fmt.Errorf("bad wildcard %q", r)
		}
	case strings.Contains(r, "-"):
		lo, hi, _ := strings.Cut(r, "-")
		if !isVersion(lo) || !isVersion(hi) {
			return fmt.Errorf("bad span %q", r)
		}
		if CompareVersions(lo, hi) > 0 {
			return fmt.Errorf("span %q runs backwards", r)
		}
	default:
		if !isVersion(r) {
			return fmt.Errorf("bad version %q", r)
		}
	}
	return nil
}

// InRange tests a version against a range: "4.0.3", "3.8.0-3.8.2", "3.*", "4.0.*", ">=5.0.4",
// "<=1.0.4". Extra version parts beyond a range's (4.0.12.15 against 4.0.12) compare as equal, so a
// build number does not break a match.
func InRange(v, r string) bool {
	r = strings.TrimSpace(r)
	switch {
	case strings.HasPrefix(r, ">="):
		return CompareVersions(v, strings.TrimSpace(r[2:])) >= 0
	case strings.HasPrefix(r, "<="):
		return cmpPrefix(v, strings.TrimSpace(r[2:])) <= 0
	case strings.HasSuffix(r, "*"):
		p := strings.TrimSuffix(strings.TrimSuffix(r, "*"), ".")
		return v == p || strings.HasPrefix(v, p+".")
	case strings.Contains(r, "-"):
		lo, hi, _ := strings.Cut(r, "-")
		return CompareVersions(v, lo) >= 0 && cmpPrefix(v, hi) <= 0
	default:
		return cmpPrefix(v, r) == 0
	}
}

// cmpPrefix compares v with r on r's number of parts.
func cmpPrefix(v, r string) int {
	n := strings.Count(r, ".") + 1
	parts := strings.Split(v, ".")
	if len(parts) > n {
		v = strings.Join(parts[:n], ".")
	}
	return CompareVersions(v, r)
}

// NormalizeName lower-cases, strips accents and collapses spaces and punctuation, so "Módulo de
// Serviços REST" and "modulo de servicos rest" match.
func NormalizeName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// ModuleRow is one row of SEI's module list (Infra > Módulos, acao=modulo_listar).
type ModuleRow struct {
	Name        string
	Version     string
	Institution string
}

// ModuleTable reads the module list: the table whose header has Nome and Versão columns (the
// columns are found by their header text, so their order does not matter). ok is false when the
// page has no such table.
func (p *Page) ModuleTable() (rows []ModuleRow, ok bool) {
	p.Doc().Find("table").EachWithBreak(func(_ int, t *goquery.Selection) bool {
		nameCol, verCol, instCol := -1, -1, -1
		var header *goquery.Selection
		t.Find("tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
			if tr.Find("th").Length() > 0 {
				header = tr
				return false
			}
			return true
		})
		if header == nil {
			return true
		}
		header.Find("th").Each(func(i int, th *goquery.Selection) {
			switch NormalizeName(th.Text()) {
			case "nome", "modulo":
				nameCol = i
			case "versao":
				verCol = i
			case "instituicao", "orgao":
				instCol = i
			}
		})
		if nameCol < 0 || verCol < 0 {
			return true
		}
		ok = true
		t.Find("tr").Each(func(_ int, tr *goquery.Selection) {
			cells := tr.Find("td")
			if cells.Length() == 0 {
				return
			}
			cell := func(i int) string {
				if i < 0 || i >= cells.Length() {
					return ""
				}
				return collapseSpace(cells.Eq(i).Text())
			}
			row := ModuleRow{Name: cell(nameCol), Version: cell(verCol), Institution: cell(instCol)}
			if row.Name != "" {
				rows = append(rows, row)
			}
		})
		return false
	})
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows, ok
}
