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
		inForm bool // inside the login form, collecting its controls
		done   bool // the login form ended: later forms are not it
		sel    *selectState
		opt    *optionState
		txa    = -1 // index in Fields of the textarea whose text comes next
	)
	closeOption := func() {
		if opt != nil && sel != nil {
			sel.opts = append(sel.opts, newOption(opt.attrs, opt.text.String()))
		}
		opt = nil
	}
	closeSelect := func() {
		closeOption()
		if sel == nil {
			return
		}
		// The select's place in Fields was kept at its start tag, as the DOM orders controls.
		f.form.Selects[sel.name] = sel.opts
		if v, ok := selectValue(sel.opts, sel.multiple); ok {
			f.form.Fields[sel.field].Value = v
		} else {
			f.form.Fields = append(f.form.Fields[:sel.field], f.form.Fields[sel.field+1:]...)
		}
		sel = nil
	}
	for {
		kind := l.next()
		if kind == tokEOF {
			break
		}
		if kind != tokText {
			txa = -1
		}
		switch kind {
		case tokText:
			switch {
			case txa >= 0 && l.rcdata:
				// The tokenizer gives a textarea's whole content as one text token.
				f.form.Fields[txa].Value = strings.TrimPrefix(string(l.text()), "\n")
				txa = -1
			case opt != nil:
				t := l.text()
				if !l.rcdata && !l.rawText {
					t = bytes.ReplaceAll(t, []byte{0}, nil) // the body drops NULs (see treeBuilder.text)
				}
				opt.text.Write(t)
			}
		case tokEnd:
			if !inForm {
				continue
			}
			switch formTag(l.b[l.data.start:l.data.end]) {
			case "option", "optgroup":
				closeOption()
			case "select":
				closeSelect()
			case "form":
				closeSelect()
				inForm, done = false, true
			}
		case tokStart, tokSelfClosing:
			name := formTag(l.b[l.data.start:l.data.end])
			attrs := lexAttrList{l}
			if id, ok := attrs.get("id"); ok {
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
				switch n, _ := attrs.get("name"); n {
				case "txtCaptcha", "txtInfraCaptcha", "txtCaptchaConfirmacao":
					f.captcha = true
				case "txtCodigoAcesso", "txtCodigo2FA":
					f.twoFactor = true
				}
			case "form":
				id, _ := attrs.get("id")
				fname, _ := attrs.get("name")
				if id == "frmLogin" || fname == "frmLogin" {
					f.loginForm = true
				}
				if !inForm && !done && (id == "frmLogin" || fname == "frmLogin") {
					// A form whose action does not resolve is no form to Page.Form either.
					if form, err := newForm(attrs, base); err == nil {
						inForm, f.form = true, form
					}
				}
				continue
			}
			if !inForm {
				continue
			}
			switch name {
			case "option":
				closeOption()
				if sel != nil {
					opt = &optionState{attrs: attrs.snapshot()}
				}
				continue
			case "optgroup":
				closeOption()
				continue
			case "select":
				closeSelect()
			}
			f.addControl(name, attrs, &sel, &txa)
		}
	}
	if inForm {
		closeSelect()
	}
	return f
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
func (f *loginFacts) addControl(tag string, attrs lexAttrList, sel **selectState, txa *int) {
	name, ok := controlName(attrs)
	if !ok {
		return
	}
	form := f.form
	switch tag {
	case "input", "button":
		form.addInputOrButton(tag, name, attrs)
	case "textarea":
		form.Fields = append(form.Fields, Field{Name: name, Type: "textarea"})
		*txa = len(form.Fields) - 1
	case "select":
		_, multi := attrs.get("multiple")
		form.Fields = append(form.Fields, Field{Name: name, Type: "select"})
		*sel = &selectState{name: name, multiple: multi, field: len(form.Fields) - 1}
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
	l := a.l
	for _, kv := range l.attrs[:l.nattr] {
		if k := l.b[kv[0].start:kv[0].end]; len(k) == len(key) && asciiFoldEq(k, key) {
			val := string(l.b[kv[1].start:kv[1].end])
			if strings.IndexByte(val, '&') >= 0 {
				val = unescapeAttr(val)
			}
			if strings.IndexByte(val, '\r') >= 0 || strings.IndexByte(val, 0) >= 0 {
				val = cleanText(val)
			}
			return val, true
		}
	}
	return "", false
}

// view is get without a copy when the value needs no decoding: the string shares the page's
// bytes, so a caller that keeps it past the scan clones it.
func (a lexAttrList) view(key string) (string, bool) {
	l := a.l
	for _, kv := range l.attrs[:l.nattr] {
		if k := l.b[kv[0].start:kv[0].end]; len(k) == len(key) && asciiFoldEq(k, key) {
			raw := l.b[kv[1].start:kv[1].end]
			if bytes.IndexByte(raw, '&') >= 0 || bytes.IndexByte(raw, '\r') >= 0 || bytes.IndexByte(raw, 0) >= 0 {
				return a.get(key)
			}
			return unsafe.String(unsafe.SliceData(raw), len(raw)), true
		}
	}
	return "", false
}

// viewIf is view for a caller that only reads values containing marker: a value that cannot
// contain it once decoded comes back raw (present, but not decoded). Only a character reference
// other than &amp; can make the marker appear, so SEI's &amp;-joined links are not decoded.
func (a lexAttrList) viewIf(key, marker string) (string, bool) {
	l := a.l
	for _, kv := range l.attrs[:l.nattr] {
		if k := l.b[kv[0].start:kv[0].end]; len(k) == len(key) && asciiFoldEq(k, key) {
			raw := l.b[kv[1].start:kv[1].end]
			v := unsafe.String(unsafe.SliceData(raw), len(raw))
			if !strings.Contains(v, marker) && onlyAmpRefs(v) {
				return v, true
			}
			return a.view(key)
		}
	}
	return "", false
}

// onlyAmpRefs says every '&' in s begins "&amp;".
func onlyAmpRefs(s string) bool {
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			return true
		}
		if !strings.HasPrefix(s[i:], "&amp;") {
			return false
		}
		s = s[i+5:]
	}
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
