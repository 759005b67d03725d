package sei

import (
	"net/url"
	"strings"
)

// LandingFacts is what the modules prober reads on the page after a login, read with the lexer
// instead of a DOM (a modules run used to build one for the landing page and one per menu page).
// TestScanLandingMatchesDOM checks it against the DOM (Page) on every page fixture.
type LandingFacts struct {
	// Actions are Page.Actions: the distinct acao= values of links, menu entries and forms.
	Actions []string
	// ModuleDirs are Page.ModuleDirs: the modulos/<dir>/ of images, scripts and stylesheets.
	ModuleDirs []string
	// ActionLinks are the href values of a[href*="acao="] whose acao= value the caller wants, in
	// document order, not resolved.
	ActionLinks []string
	// ModuleList is Page.Link(`a[href*="acao=modulo_listar"]`): the admin's module list.
	ModuleList string
}

// ScanLanding scans a UTF-8 page (Response.Text) whose links resolve against base. wantLink picks
// the action links kept by their acao= value; nil keeps them all.
func ScanLanding(body []byte, base *url.URL, wantLink func(acao string) bool) LandingFacts {
	if base == nil {
		base = &url.URL{}
	}
	var (
		f        LandingFacts
		seenAct  = map[string]bool{}
		seenDir  = map[string]bool{}
		l        = newLexer(body)
		formOpen bool // the parser ignores a form start tag inside an open form
	)
	addAction := func(a string) {
		if a != "" && !seenAct[a] {
			a = strings.Clone(a) // a view of the page
			seenAct[a] = true
			f.Actions = append(f.Actions, a)
		}
	}
	for {
		kind := l.next()
		if kind == tokEOF {
			return f
		}
		name := l.b[l.data.start:l.data.end]
		tag := landingTag(name)
		if kind == tokEnd {
			if tag == "form" {
				formOpen = false
			}
			continue
		}
		if kind != tokStart && kind != tokSelfClosing {
			continue
		}
		if tag == "form" {
			// The parser ignores a form start tag while a form is open (a self-closing one opens a
			// form too: the flag means nothing on a non-void element).
			if formOpen {
				continue
			}
			formOpen = true
		}
		if l.nattr == 0 {
			continue
		}
		attrs := lexAttrList{l}
		switch tag {
		case "a", "form":
			// Views of the page: what is kept is cloned. A link with no acao= is not decoded.
			href, hasHref := attrs.viewIf("href", "acao=")
			link, hasLink := attrs.view("link")
			action, hasAction := attrs.viewIf("action", "acao=")
			if tag == "a" && !hasHref && !hasLink || tag == "form" && !hasAction {
				continue
			}
			if hasLink {
				addAction(link)
			}
			for _, v := range [...]struct {
				val string
				ok  bool
			}{{href, hasHref}, {action, hasAction}} {
				if v.ok {
					addAction(ActionOf(v.val))
				}
			}
			if tag == "a" && hasHref && strings.Contains(href, "acao=") {
				if wantLink == nil || wantLink(ActionOf(href)) {
					f.ActionLinks = append(f.ActionLinks, strings.Clone(href))
				}
				if f.ModuleList == "" && strings.Contains(href, "acao=modulo_listar") {
					f.ModuleList = linkOf("a", attrs, base)
				}
			}
		case "img", "script", "link":
			ref, ok := attrs.viewIf("src", "modulos/")
			if !ok {
				if tag == "img" || tag == "script" {
					// img[src], script[src]: without src the element is not selected at all.
					continue
				}
				if ref, ok = attrs.viewIf("href", "modulos/"); !ok {
					continue
				}
			}
			if d := moduleDir(ref); d != "" && !seenDir[d] {
				d = strings.Clone(d)
				seenDir[d] = true
				f.ModuleDirs = append(f.ModuleDirs, d)
			}
		}
	}
}

// ActionOf is the acao= value in a link, as Page.Actions cuts it; "" for none.
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

// landingTag names the tags the landing scan reads, without allocating; "" for the others.
func landingTag(b []byte) string {
	for _, t := range [...]string{"a", "form", "img", "script", "link"} {
		if len(b) == len(t) && asciiFoldEq(b, t) {
			return t
		}
	}
	return ""
}

// ScanErrorPage says whether a page is an SEI error page (#divInfraExcecao or .infraExcecao), read
// with the lexer: most pages a prober opens only need that answer.
func ScanErrorPage(body []byte) bool {
	l := newLexer(body)
	for {
		kind := l.next()
		if kind == tokEOF {
			return false
		}
		if (kind != tokStart && kind != tokSelfClosing) || l.nattr == 0 {
			continue
		}
		attrs := lexAttrList{l}
		if id, ok := attrs.view("id"); ok && id == "divInfraExcecao" {
			return true
		}
		if class, ok := attrs.view("class"); ok && hasClass([]byte(class), "infraExcecao") {
			return true
		}
	}
}
