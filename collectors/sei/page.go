package sei

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unsafe"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// MaxDOMBytes bounds what is parsed into a DOM. SEI's largest pages (a long process list) are a few
// hundred KiB; a body past this is cut, so a hostile or broken server cannot make the probe build a
// huge tree.
const MaxDOMBytes = 4 << 20

// Page is an HTML page and the URL it came from (links resolve against it). Has, Attr, Link,
// Form and Title answer from an index of the page's elements when the selector allows it (see
// index.go); the DOM is built on first use by anything else.
type Page struct {
	URL *url.URL
	src string
	doc *goquery.Document
	idx *pageIndex
	// sess owns the page's text and index when the page is a response's (bodies.go).
	sess *Session
}

// Doc is the page's DOM, built on first use.
func (p *Page) Doc() *goquery.Document {
	if p.doc == nil {
		var mem *treeMem
		if p.sess != nil {
			mem = p.sess.tree()
		}
		p.doc = goquery.NewDocumentFromNode(parseTree(p.src, mem))
		p.idx = nil // the DOM answers from now on
	}
	return p.doc
}

// indexed gives the element index and the parsed selector when they can answer: the selector is
// simple, the page regular, and no DOM was built yet (once it is, it answers everything).
func (p *Page) indexed(selector string) (*pageIndex, simpleSelector, bool) {
	if p.doc != nil {
		return nil, nil, false
	}
	ss, ok := parseSimple(selector)
	if !ok {
		return nil, nil, false
	}
	if p.idx == nil {
		var x *pageIndex
		if p.sess != nil {
			x = p.sess.index()
		}
		p.idx = buildIndex(x, p.src)
	}
	if p.idx.dead {
		panic("sei: page read after its session closed")
	}
	if p.idx.irregular {
		return nil, nil, false
	}
	return p.idx, ss, true
}

// ParsePage parses a UTF-8 body (see Response.Text). The page keeps a copy of body.
func ParsePage(body []byte, u *url.URL) (*Page, error) {
	if len(body) > MaxDOMBytes {
		body = body[:MaxDOMBytes]
	}
	return newPage(string(body), u), nil
}

func newPage(src string, u *url.URL) *Page {
	if u == nil {
		u = &url.URL{}
	}
	return &Page{URL: u, src: src}
}

// ParseResponse parses a response's decoded body. The tree's strings share the response's
// decoded body instead of copying it: a probe may hold a few pages while a slow instance answers,
// and at 10,000 instances hundreds of probes are in flight. A Response's body is never written
// after it is read, which is what makes the sharing safe.
func ParseResponse(r *Response) (*Page, error) {
	text := DOMText(r)
	p := newPage(unsafe.String(unsafe.SliceData(text), len(text)), r.URL)
	p.sess = r.sess
	return p, nil
}

// DOMText is the part of a response's text that ParseResponse builds a DOM of (MaxDOMBytes): the
// lexer scans read the same part, so they see what the DOM would.
func DOMText(r *Response) []byte {
	text := r.Text()
	if len(text) > MaxDOMBytes {
		text = text[:MaxDOMBytes]
	}
	return text
}

// Compile compiles a CSS selector (a group, "a, b", included), for validating user-supplied
// selectors before a run.
func Compile(selector string) (cascadia.Matcher, error) {
	s, err := cascadia.ParseGroup(selector)
	if err != nil {
		return nil, fmt.Errorf("bad CSS selector %q: %w", selector, err)
	}
	return s, nil
}

func (p *Page) find(selector string) *goquery.Selection {
	m, err := cascadia.Compile(selector)
	if err != nil {
		return p.Doc().Selection.Slice(0, 0)
	}
	return p.Doc().FindMatcher(m)
}

// Title is the trimmed <title> text.
func (p *Page) Title() string {
	if x, _, ok := p.indexed("title"); ok {
		return strings.TrimSpace(x.title)
	}
	return strings.TrimSpace(p.Doc().Find("title").First().Text())
}

// Has reports whether the selector matches.
func (p *Page) Has(selector string) bool {
	if x, ss, ok := p.indexed(selector); ok {
		return x.first(ss, nil) != nil
	}
	return p.find(selector).Length() > 0
}

// Text is the trimmed text of the first match.
func (p *Page) Text(selector string) string {
	return collapseSpace(p.find(selector).First().Text())
}

// Attr is an attribute of the first match that has it.
func (p *Page) Attr(selector, attr string) (string, bool) {
	if x, ss, ok := p.indexed(selector); ok {
		e := x.first(ss, func(e *elem) bool { _, ok := elemAttrs{x, e}.raw(attr); return ok })
		if e == nil {
			return "", false
		}
		return elemAttrs{x, e}.get(attr)
	}
	var val string
	var ok bool
	p.find(selector).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		val, ok = s.Attr(attr)
		return !ok
	})
	return val, ok
}

// Resolve makes a link absolute against the page URL.
func (p *Page) Resolve(ref string) (string, error) {
	u, err := p.URL.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", fmt.Errorf("bad link: %w", err)
	}
	return u.String(), nil
}

// onclickURL takes the URL out of SEI's onclick="window.location.href='…'" links (the bar's
// "Controle de Processos" icon, the unit switcher). A small pattern on one attribute value.
var onclickURL = regexp.MustCompile(`location(?:\.href)?\s*=\s*['"]([^'"]+)['"]`)

// Link is the absolute URL of the first match: its href, or for an SEI "#" link the URL its onclick
// navigates to, or for a form its action.
func (p *Page) Link(selector string) (string, bool) {
	if x, ss, ok := p.indexed(selector); ok {
		var out string
		x.first(ss, func(e *elem) bool {
			tag := "a"
			if e.form {
				tag = "form"
			}
			out = linkOf(tag, elemAttrs{x, e}, p.URL)
			return out != ""
		})
		return out, out != ""
	}
	var out string
	p.find(selector).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		out = linkOf(goquery.NodeName(s), domAttrs{s}, p.URL)
		return out == ""
	})
	return out, out != ""
}

// linkOf is the absolute URL an element leads to ("" for none): a form's action, a usable href,
// or the URL an onclick navigates to. The DOM (Link) and the login scan share it.
func linkOf(tag string, a attrReader, base *url.URL) string {
	ref := ""
	if tag == "form" {
		ref, _ = a.get("action")
	} else if h, ok := a.get("href"); ok && h != "" && h != "#" && !strings.HasPrefix(strings.ToLower(h), "javascript:") {
		ref = h
	} else if oc, ok := a.get("onclick"); ok {
		if m := onclickURL.FindStringSubmatch(oc); m != nil {
			ref = m[1]
		}
	}
	if ref == "" {
		return ""
	}
	u, err := base.Parse(strings.TrimSpace(ref))
	if err != nil {
		return ""
	}
	return u.String()
}

// VisibleText is the page's text outside scripts and styles, whitespace collapsed, cut at max
// bytes (on a rune boundary).
func (p *Page) VisibleText(max int) string { return visibleText(p.Doc().Nodes, max) }

// MainText is VisibleText of the page's content area (#divInfraAreaTelaD on Infra pages), without
// the top bar and the menu; the whole body when the page has no such area.
func (p *Page) MainText(max int) string {
	if area := p.find("#divInfraAreaTelaD"); area.Length() > 0 {
		return visibleText(area.Nodes[:1], max)
	}
	return p.VisibleText(max)
}

func visibleText(nodes []*html.Node, max int) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if max > 0 && b.Len() > 4*max+256 {
			return
		}
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			b.WriteByte(' ')
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "head", "title":
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return Truncate(collapseSpace(b.String()), max)
}

// Truncate cuts s at max bytes without splitting a UTF-8 sequence.
func Truncate(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// messageSelectors are where Infra pages render messages for the user (validation errors, "Usuário
// ou senha inválida", exceptions).
// Infra puts validation messages in a hidden textarea that a script alerts (txaInfraValidacao, and
// txaInfraMsg for the msg= SEI appends when it sends a user back to SIP).
const messageSelectors = "#txaInfraValidacao, #txaInfraMsg, #divInfraExcecao, .infraExcecao, #divInfraMensagens, .infraMensagem, #divMensagem, .alert-danger, .alert-warning, #divInfraAviso"

// Messages are the distinct user-facing messages the page shows, trimmed. A message nested in
// another message container counts once.
func (p *Page) Messages() []string {
	var out []string
	seen := map[string]bool{}
	p.find(messageSelectors).Each(func(_ int, s *goquery.Selection) {
		t := collapseSpace(s.Text())
		if t == "" {
			return
		}
		t = Truncate(t, 300)
		for _, o := range out {
			if strings.Contains(o, t) {
				return
			}
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	})
	return out
}

// each calls fn with the attributes of every element the selector matches, in document order,
// from the element index when it can answer and from the DOM otherwise. a is valid only during
// the call.
func (p *Page) each(selector string, fn func(tag string, a attrReader)) {
	if x, ss, ok := p.indexed(selector); ok {
		// One reader serves every match: an elemAttrs boxed into the interface per element was
		// an allocation per link of a menu.
		ea := new(elemAttrs)
		for i := range x.elems {
			if e := &x.elems[i]; ss.match(x, e) {
				*ea = elemAttrs{x, e}
				fn(x.src[e.name.start:e.name.end], ea)
			}
		}
		return
	}
	p.find(selector).Each(func(_ int, s *goquery.Selection) { fn(goquery.NodeName(s), domAttrs{s}) })
}

// Attrs is the attribute of every match that has it, in document order.
func (p *Page) Attrs(selector, attr string) []string {
	var out []string
	p.each(selector, func(_ string, a attrReader) {
		if v, ok := a.get(attr); ok {
			out = append(out, v)
		}
	})
	return out
}

// ActionLinks is the decoded attr of every element matching selector whose acao= (ActionOf)
// passes keep, in document order. A landing page's menu holds about a hundred links and a caller
// wants the few of its modules: only those are copied out.
func (p *Page) ActionLinks(selector, attr string, keep func(action string) bool) []string {
	var out []string
	var scratch []byte
	p.each(selector, func(_ string, a attrReader) {
		if h, ok := attrView(a, attr, &scratch); ok && keep(ActionOf(h)) {
			out = append(out, strings.Clone(h))
		}
	})
	return out
}

// Actions lists the distinct acao= values of the page's links and menu entries (menu items carry
// them in href and in a link attribute). Module menus are recognisable by their prefixes (md_pet_,
// pen_, md_wssei_).
func (p *Page) Actions() []string {
	seen := map[string]bool{}
	var out []string
	var scratch []byte
	add := func(a string) { // a may be a view of scratch: kept as a copy
		if a != "" && !seen[a] {
			a = strings.Clone(a)
			seen[a] = true
			out = append(out, a)
		}
	}
	p.each("a[href], a[link], form[action]", func(_ string, a attrReader) {
		if l, ok := attrView(a, "link", &scratch); ok {
			add(l)
		}
		for _, attr := range [...]string{"href", "action"} {
			if h, ok := attrView(a, attr, &scratch); ok {
				add(ActionOf(h))
			}
		}
	})
	return out
}

// attrView is an attribute's decoded value for a caller that searches it and keeps at most a copy
// of a piece: the value as written when decoding changes nothing, else decoded into *scratch, and
// then valid only until the next call with the same scratch. Real SEI writes its menu links with
// both "&amp;" and bare '&' (acao=x&infra_item_menu=0&amp;infra_sistema=…): decoding each into a
// string of its own was a tenth of vigia's allocations.
func attrView(a attrReader, key string, scratch *[]byte) (string, bool) {
	ea, ok := a.(*elemAttrs)
	if !ok {
		return a.get(key)
	}
	raw, ok := ea.raw(key)
	if !ok {
		return "", false
	}
	var text string
	text, *scratch = attrTextIn(*scratch, raw)
	return text, true
}

// ActionOf is the acao= value in a link ("" for none): the controller action SEI runs.
func ActionOf(h string) string {
	i := strings.Index(h, "acao=")
	if i < 0 {
		return ""
	}
	a := h[i+5:]
	if j := strings.IndexAny(a, "&#'\" "); j >= 0 {
		a = a[:j]
	}
	return a
}

// ModuleDirs lists the module directories the page loads assets from (".../modulos/<dir>/...").
func (p *Page) ModuleDirs() []string {
	seen := map[string]bool{}
	var out []string
	var scratch []byte
	p.each("img[src], script[src], link[href]", func(_ string, a attrReader) {
		ref, ok := attrView(a, "src", &scratch)
		if !ok {
			ref, _ = attrView(a, "href", &scratch)
		}
		if d := moduleDir(ref); d != "" && !seen[d] {
			d = strings.Clone(d) // a view of scratch
			seen[d] = true
			out = append(out, d)
		}
	})
	return out
}

// moduleDir is <dir> in a reference to modulos/<dir>/…; "" for none.
func moduleDir(ref string) string {
	i := strings.Index(ref, "modulos/")
	if i < 0 {
		return ""
	}
	d := ref[i+len("modulos/"):]
	j := strings.IndexByte(d, '/')
	if j <= 0 {
		return ""
	}
	return d[:j]
}

// Field is one form control that would be submitted.
type Field struct {
	Name  string
	Value string
	Type  string
}

// Option is one <option> of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Form is a parsed <form>: everything a browser would submit.
type Form struct {
	ID, Name string
	Method   string // upper case; GET when absent
	Action   string // absolute
	// Fields are the successful controls in document order (hidden, text, password, checked boxes,
	// selects with their selected option, textareas). Submit buttons are not among them.
	Fields  []Field
	Submits []Field
	Selects map[string][]Option
}

// ErrNoForm is returned when a selector matches no form.
var ErrNoForm = errors.New("form not found")

// Form parses the first <form> the selector matches.
func (p *Page) Form(selector string) (*Form, error) {
	if x, ss, ok := p.indexed(selector); ok {
		e := x.first(ss, func(e *elem) bool { return e.form })
		if e == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoForm, selector)
		}
		f, err := x.formAt(e, p.URL)
		if err != nil {
			return nil, fmt.Errorf("form %s: %w", selector, err)
		}
		return f, nil
	}
	sel := p.find(selector).Filter("form").First()
	if sel.Length() == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoForm, selector)
	}
	f, err := newForm(domAttrs{sel}, p.URL)
	if err != nil {
		return nil, fmt.Errorf("form %s: %w", selector, err)
	}
	sel.Find("input, select, textarea, button").Each(func(_ int, s *goquery.Selection) {
		name, ok := controlName(domAttrs{s})
		if !ok {
			return
		}
		switch tag := goquery.NodeName(s); tag {
		case "input", "button":
			f.addInputOrButton(tag, name, domAttrs{s})
		case "textarea":
			f.Fields = append(f.Fields, Field{Name: name, Value: s.Text(), Type: "textarea"})
		case "select":
			var opts []Option
			s.Find("option").Each(func(_ int, o *goquery.Selection) {
				opts = append(opts, newOption(domAttrs{o}, o.Text()))
			})
			_, multi := s.Attr("multiple")
			f.addSelect(name, opts, multi)
		}
	})
	return f, nil
}

// attrReader gives an element's attributes (decoded) to the form rules below, which the DOM
// (Page.Form) and the login scan (scanLogin) share.
type attrReader interface {
	get(key string) (string, bool)
}

type domAttrs struct{ s *goquery.Selection }

func (a domAttrs) get(key string) (string, bool) { return a.s.Attr(key) }

func attrOr(a attrReader, key, def string) string {
	if v, ok := a.get(key); ok {
		return v
	}
	return def
}

// newForm starts a Form from its <form> tag; the action resolves against base.
func newForm(a attrReader, base *url.URL) (*Form, error) {
	f := &Form{Selects: map[string][]Option{}}
	f.ID, _ = a.get("id")
	f.Name, _ = a.get("name")
	f.Method = strings.ToUpper(strings.TrimSpace(attrOr(a, "method", "GET")))
	if f.Method != "POST" {
		f.Method = "GET"
	}
	u, err := base.Parse(strings.TrimSpace(attrOr(a, "action", "")))
	if err != nil {
		return nil, fmt.Errorf("bad link: %w", err)
	}
	f.Action = u.String()
	return f, nil
}

// controlName is the name a control submits under; ok is false for a control a browser does not
// submit (no name, or disabled).
func controlName(a attrReader) (string, bool) {
	name, ok := a.get("name")
	if !ok || name == "" {
		return "", false
	}
	if _, dis := a.get("disabled"); dis {
		return "", false
	}
	return name, true
}

// addInputOrButton adds an <input> or <button> as a browser submits it.
func (f *Form) addInputOrButton(tag, name string, a attrReader) {
	if tag == "button" {
		if strings.ToLower(attrOr(a, "type", "submit")) == "submit" {
			f.Submits = append(f.Submits, Field{Name: name, Value: attrOr(a, "value", ""), Type: "submit"})
		}
		return
	}
	typ := strings.ToLower(attrOr(a, "type", "text"))
	val := attrOr(a, "value", "")
	switch typ {
	case "submit", "image":
		f.Submits = append(f.Submits, Field{Name: name, Value: val, Type: typ})
	case "checkbox", "radio":
		if _, checked := a.get("checked"); checked {
			if _, has := a.get("value"); !has {
				val = "on"
			}
			f.Fields = append(f.Fields, Field{Name: name, Value: val, Type: typ})
		}
	case "button", "reset", "file":
	default:
		f.Fields = append(f.Fields, Field{Name: name, Value: val, Type: typ})
	}
}

// newOption is an <option> with its text.
func newOption(a attrReader, text string) Option {
	v, has := a.get("value")
	if !has {
		v = strings.TrimSpace(text)
	}
	_, selected := a.get("selected")
	return Option{Value: v, Label: collapseSpace(text), Selected: selected}
}

// addSelect adds a <select> with its options.
func (f *Form) addSelect(name string, opts []Option, multiple bool) {
	f.Selects[name] = opts
	if v, ok := selectValue(opts, multiple); ok {
		f.Fields = append(f.Fields, Field{Name: name, Value: v, Type: "select"})
	}
}

// selectValue is what a select submits: its last selected option, or the first when none is and
// it is not multiple.
func selectValue(opts []Option, multiple bool) (string, bool) {
	chosen := -1
	for i, o := range opts {
		if o.Selected {
			chosen = i
		}
	}
	if chosen < 0 && len(opts) > 0 && !multiple {
		chosen = 0
	}
	if chosen < 0 {
		return "", false
	}
	return opts[chosen].Value, true
}

// Has reports whether the form has a control (submit buttons included) with that name.
func (f *Form) Has(name string) bool {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return true
		}
	}
	for _, fl := range f.Submits {
		if fl.Name == name {
			return true
		}
	}
	_, ok := f.Selects[name]
	return ok
}

// Value is the default value of a control.
func (f *Form) Value(name string) (string, bool) {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return fl.Value, true
		}
	}
	return "", false
}

// Values is what a browser sends before the user types anything or clicks a button.
func (f *Form) Values() url.Values {
	v := make(url.Values, len(f.Fields)+1)
	for _, fl := range f.Fields {
		v.Add(fl.Name, fl.Value)
	}
	return v
}

// Submit returns the named submit button, or the first when name is empty.
func (f *Form) Submit(name string) (Field, bool) {
	for _, s := range f.Submits {
		if name == "" || s.Name == name {
			return s, true
		}
	}
	return Field{}, false
}

// HiddenNames lists the names of hidden inputs, for evidence without values (a CSRF token's value
// is a secret).
func (f *Form) HiddenNames() []string {
	var out []string
	for _, fl := range f.Fields {
		if fl.Type == "hidden" {
			out = append(out, fl.Name)
		}
	}
	return out
}
