package sei

import (
	"bytes"
	"net/url"
	"strings"
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
			text := opt.text.String()
			o := Option{Value: opt.value, Label: collapseSpace(text), Selected: opt.selected}
			if !opt.hasValue {
				o.Value = strings.TrimSpace(text)
			}
			sel.opts = append(sel.opts, o)
		}
		opt = nil
	}
	closeSelect := func() {
		closeOption()
		if sel == nil {
			return
		}
		f.form.Selects[sel.name] = sel.opts
		chosen := -1
		for i, o := range sel.opts {
			if o.Selected {
				chosen = i
				break
			}
		}
		if chosen < 0 && len(sel.opts) > 0 && !sel.multiple {
			chosen = 0
		}
		if chosen >= 0 {
			f.form.Fields[sel.field].Value = sel.opts[chosen].Value
		} else {
			// Nothing to send: drop the select's place in Fields.
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
			switch strings.ToLower(string(l.b[l.data.start:l.data.end])) {
			case "option", "optgroup":
				closeOption()
			case "select":
				closeSelect()
			case "form":
				closeSelect()
				inForm, done = false, true
			}
		case tokStart, tokSelfClosing:
			name := strings.ToLower(string(l.b[l.data.start:l.data.end]))
			attrs := lexAttrList{l}
			if id, ok := attrs.get("id"); ok {
				switch id {
				case "lnkInfraSairSistema":
					f.loggedIn = true
					if f.logout == "" {
						f.logout = linkRef(name, attrs, base)
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
					if form, ok := newForm(id, fname, attrs, base); ok {
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
					opt = &optionState{}
					opt.value, opt.hasValue = attrs.get("value")
					_, opt.selected = attrs.get("selected")
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
	value              string
	hasValue, selected bool
	text               strings.Builder
}

// addControl adds a form control as Page.Form does.
func (f *loginFacts) addControl(tag string, attrs lexAttrList, sel **selectState, txa *int) {
	name, ok := attrs.get("name")
	if !ok || name == "" {
		return
	}
	if _, dis := attrs.get("disabled"); dis {
		return
	}
	form := f.form
	switch tag {
	case "input":
		typ := strings.ToLower(attrs.or("type", "text"))
		val := attrs.or("value", "")
		switch typ {
		case "submit", "image":
			form.Submits = append(form.Submits, Field{Name: name, Value: val, Type: typ})
		case "checkbox", "radio":
			if _, checked := attrs.get("checked"); checked {
				if _, has := attrs.get("value"); !has {
					val = "on"
				}
				form.Fields = append(form.Fields, Field{Name: name, Value: val, Type: typ})
			}
		case "button", "reset", "file":
		default:
			form.Fields = append(form.Fields, Field{Name: name, Value: val, Type: typ})
		}
	case "button":
		if strings.ToLower(attrs.or("type", "submit")) == "submit" {
			form.Submits = append(form.Submits, Field{Name: name, Value: attrs.or("value", ""), Type: "submit"})
		}
	case "textarea":
		form.Fields = append(form.Fields, Field{Name: name, Type: "textarea"})
		*txa = len(form.Fields) - 1
	case "select":
		_, multi := attrs.get("multiple")
		form.Fields = append(form.Fields, Field{Name: name, Type: "select"})
		*sel = &selectState{name: name, multiple: multi, field: len(form.Fields) - 1}
	}
}

// newForm starts a Form from its tag as Page.Form does; ok is false when its action does not
// resolve (Page.Form fails then too).
func newForm(id, name string, attrs lexAttrList, base *url.URL) (*Form, bool) {
	f := &Form{ID: id, Name: name, Selects: map[string][]Option{}}
	f.Method = strings.ToUpper(strings.TrimSpace(attrs.or("method", "GET")))
	if f.Method != "POST" {
		f.Method = "GET"
	}
	u, err := base.Parse(strings.TrimSpace(attrs.or("action", "")))
	if err != nil {
		return nil, false
	}
	f.Action = u.String()
	return f, true
}

// linkRef is the absolute URL Page.Link takes from an element: a form's action, a usable href, or
// the URL an onclick navigates to ("" when none).
func linkRef(tag string, attrs lexAttrList, base *url.URL) string {
	ref := ""
	if tag == "form" {
		ref, _ = attrs.get("action")
	} else if h, ok := attrs.get("href"); ok && h != "" && h != "#" && !strings.HasPrefix(strings.ToLower(h), "javascript:") {
		ref = h
	} else if oc, ok := attrs.get("onclick"); ok {
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

func (a lexAttrList) or(key, def string) string {
	if v, ok := a.get(key); ok {
		return v
	}
	return def
}
