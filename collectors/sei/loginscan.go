package sei

import (
	"bytes"
	"net/url"
	"strings"
	"unsafe"
)

// loginscan.go reads what a login needs from SIP's login page and from the page after it with the
// copy-free lexer instead of a DOM: the login form, whether SIP asks for a captcha or a second
// factor, whether the page is a logged-in SEI page, and its logout link. Every version and
// modules probe logs in, and parsing both pages into a DOM was most of a login's CPU. The DOM is
// still built, lazily, when a login fails (for SEI's messages) or a prober needs the landing page.
// TestScanLoginMatchesDOM checks the scan against the DOM on every page fixture.

// loginFacts is what scanLogin found on a page.
type loginFacts struct {
	form      *Form // the first form#frmLogin or form[name=frmLogin]; nil if none
	loginForm bool  // LoginFormSelector matches (even a form whose action does not resolve)
	captcha   bool  // captchaSelector matches
	twoFactor bool  // twoFactorSelector matches
	loggedIn  bool  // LoggedIn's markers
	logout    string
}

// scanLogin scans a UTF-8 page (Response.Text) whose links resolve against base.
func scanLogin(body []byte, base *url.URL) loginFacts {
	if base == nil {
		base = &url.URL{}
	}
	var (
		f      loginFacts
		l      = newLexer(body)
		r      formReader
		inForm bool // inside the login form, collecting its controls
		done   bool // the login form ended: later forms are not it
	)
	for {
		kind := l.next()
		if kind == tokEOF {
			break
		}
		if kind == tokStart || kind == tokSelfClosing {
			name := formTag(l.b[l.data.start:l.data.end])
			attrs := lexAttrList{l}
			if id, ok := attrs.view("id"); ok { // compared only: a view of the page
				switch id {
				case "lnkInfraSairSistema":
					f.loggedIn = true
					if f.logout == "" {
						f.logout = linkOf(name, attrs, base)
					}
				case "lnkUsuarioSistema", "tblProcessosRecebidos", "tblProcessosGerados", "frmProtocoloPesquisaRapida":
					f.loggedIn = true
				case "divValidacao2FA":
					f.twoFactor = true
				}
			}
			switch name {
			case "input":
				switch n, _ := attrs.view("name"); n {
				case "txtCaptcha", "txtInfraCaptcha", "txtCaptchaConfirmacao":
					f.captcha = true
				case "txtCodigoAcesso", "txtCodigo2FA":
					f.twoFactor = true
				}
			case "form":
				id, _ := attrs.view("id")
				fname, _ := attrs.view("name")
				if id == "frmLogin" || fname == "frmLogin" {
					f.loginForm = true
				}
				if !inForm && !done && (id == "frmLogin" || fname == "frmLogin") {
					// A form whose action does not resolve is no form to Page.Form either.
					if form, err := newForm(attrs, base); err == nil {
						inForm, f.form = true, form
						r = formReader{form: form, txa: -1}
					}
					continue
				}
			}
		}
		if inForm && r.token(l, kind) {
			inForm, done = false, true
		}
	}
	if inForm {
		r.closeSelect()
	}
	return f
}

// scanFormAt reads the form whose start tag begins at offset at, as scanLogin reads the login
// form: its controls up to its end tag.
func scanFormAt(body []byte, at int, base *url.URL) (*Form, error) {
	if base == nil {
		base = &url.URL{}
	}
	l := newLexer(body)
	l.pos = at
	if k := l.next(); k != tokStart && k != tokSelfClosing || formTag(l.b[l.data.start:l.data.end]) != "form" {
		return nil, ErrNoForm
	}
	form, err := newForm(lexAttrList{l}, base)
	if err != nil {
		return nil, err
	}
	r := formReader{form: form, txa: -1}
	for {
		kind := l.next()
		if kind == tokEOF {
			r.closeSelect()
			return form, nil
		}
		if r.token(l, kind) {
			return form, nil
		}
	}
}

// formReader collects a form's controls from the tokens inside it, as Page.Form does from the DOM.
type formReader struct {
	form *Form
	sel  *selectState
	opt  *optionState
	txa  int // index in Fields of the textarea whose text comes next; -1 for none
}

// token takes the next token inside the form and says whether it ended the form.
func (r *formReader) token(l *lexer, kind tokKind) (formEnded bool) {
	if kind != tokText {
		r.txa = -1
	}
	switch kind {
	case tokText:
		switch {
		case r.txa >= 0 && l.rcdata:
			// The tokenizer gives a textarea's whole content as one text token.
			r.form.Fields[r.txa].Value = strings.TrimPrefix(string(l.text()), "\n")
			r.txa = -1
		case r.opt != nil:
			t := l.text()
			if !l.rcdata && !l.rawText {
				t = bytes.ReplaceAll(t, []byte{0}, nil) // the body drops NULs (see treeBuilder.text)
			}
			r.opt.text.Write(t)
		}
	case tokEnd:
		switch formTag(l.b[l.data.start:l.data.end]) {
		case "option", "optgroup":
			r.closeOption()
		case "select":
			r.closeSelect()
		case "form":
			r.closeSelect()
			return true
		}
	case tokStart, tokSelfClosing:
		name := formTag(l.b[l.data.start:l.data.end])
		attrs := lexAttrList{l}
		switch name {
		case "form":
			return false // the tree ignores a form inside a form
		case "option":
			r.closeOption()
			if r.sel != nil {
				r.opt = &optionState{attrs: attrs.snapshot()}
			}
			return false
		case "optgroup":
			r.closeOption()
			return false
		case "select":
			r.closeSelect()
		}
		r.addControl(name, attrs)
	}
	return false
}

func (r *formReader) closeOption() {
	if r.opt != nil && r.sel != nil {
		r.sel.opts = append(r.sel.opts, newOption(r.opt.attrs, r.opt.text.String()))
	}
	r.opt = nil
}

func (r *formReader) closeSelect() {
	r.closeOption()
	if r.sel == nil {
		return
	}
	// The select's place in Fields was kept at its start tag, as the DOM orders controls.
	f := r.form
	f.Selects[r.sel.name] = r.sel.opts
	if v, ok := selectValue(r.sel.opts, r.sel.multiple); ok {
		f.Fields[r.sel.field].Value = v
	} else {
		f.Fields = append(f.Fields[:r.sel.field], f.Fields[r.sel.field+1:]...)
	}
	r.sel = nil
}

type selectState struct {
	name     string
	multiple bool
	field    int // its place in Fields
	opts     []Option
}

type optionState struct {
	attrs attrMap // the option tag's attributes (the lexer moves on before its text ends)
	text  strings.Builder
}

// addControl adds a form control as Page.Form does.
func (r *formReader) addControl(tag string, attrs lexAttrList) {
	name, ok := controlName(attrs)
	if !ok {
		return
	}
	form := r.form
	switch tag {
	case "input", "button":
		form.addInputOrButton(tag, name, attrs)
	case "textarea":
		form.Fields = append(form.Fields, Field{Name: name, Type: "textarea"})
		r.txa = len(form.Fields) - 1
	case "select":
		_, multi := attrs.get("multiple")
		form.Fields = append(form.Fields, Field{Name: name, Type: "select"})
		r.sel = &selectState{name: name, multiple: multi, field: len(form.Fields) - 1}
	}
}

// formTag names the tags the scan acts on, in lower case, without allocating; "" for the others
// (every tag of a page goes through here).
func formTag(b []byte) string {
	for _, t := range [...]string{"form", "input", "select", "option", "optgroup", "textarea", "button"} {
		if len(b) == len(t) && asciiFoldEq(b, t) {
			return t
		}
	}
	return ""
}

// lexAttrList reads the current tag's attributes with the DOM's decoding (see treeBuilder).
type lexAttrList struct{ l *lexer }

func (a lexAttrList) get(key string) (string, bool) {
	raw, ok := a.raw(key)
	if !ok {
		return "", false
	}
	return attrText(string(raw)), true
}

// view is get without a copy when the value needs no decoding: the string shares the page's
// bytes, so a caller that keeps it past the scan clones it.
func (a lexAttrList) view(key string) (string, bool) {
	raw, ok := a.raw(key)
	if !ok {
		return "", false
	}
	return attrText(unsafe.String(unsafe.SliceData(raw), len(raw))), true
}

// raw is the attribute's value as written (the first of repeated attributes, as the tree keeps).
func (a lexAttrList) raw(key string) ([]byte, bool) {
	l := a.l
	for _, kv := range l.attrSpans() {
		if k := l.b[kv[0].start:kv[0].end]; len(k) == len(key) && asciiFoldEq(k, key) {
			return l.b[kv[1].start:kv[1].end], true
		}
	}
	return nil, false
}

// snapshot copies the attributes newOption reads, for an option whose text comes later.
func (a lexAttrList) snapshot() attrMap {
	m := attrMap{}
	for _, k := range [...]string{"value", "selected"} {
		if v, ok := a.get(k); ok {
			m[k] = v
		}
	}
	return m
}

type attrMap map[string]string

func (m attrMap) get(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}
