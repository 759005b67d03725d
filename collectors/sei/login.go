package sei

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// LoginFormSelector matches SIP's login form: id="frmLogin" since SIP 3, only name="frmLogin" in SIP
// 2 (SEI 3.0.x).
const LoginFormSelector = "form#frmLogin, form[name=frmLogin]"

// Field names of SIP's login form.
const (
	FieldUser   = "txtUsuario"
	FieldPass   = "pwdSenha"
	FieldOrgao  = "selOrgao"
	FieldAction = "hdnAcao"
)

// captchaFields are the inputs SIP adds after too many failures in one session (3 by default):
// txtCaptcha (SIP 2), txtInfraCaptcha (SIP 3), txtCaptchaConfirmacao.
const captchaSelector = "input[name=txtCaptcha], input[name=txtInfraCaptcha], input[name=txtCaptchaConfirmacao]"

// twoFactorSelector is the second-factor step (hdnAcao 3..9).
const twoFactorSelector = "#divValidacao2FA, input[name=txtCodigoAcesso], input[name=txtCodigo2FA]"

// LoginForm is SIP's login form as found on a page.
type LoginForm struct {
	*Form
	// Orgaos are the selOrgao options (value is the numeric id, label the sigla).
	Orgaos []Option
	// Captcha says SIP asks for a captcha: the session already failed too often.
	Captcha bool
	// TokenField is SIP 3's CSRF hidden input (hdnToken<md5>), empty on SIP 2.
	TokenField string
}

// LoginForm finds SIP's login form on the page.
func (p *Page) LoginForm() (*LoginForm, error) {
	f, err := p.Form(LoginFormSelector)
	if err != nil {
		return nil, err
	}
	return newLoginForm(f, p.Has(captchaSelector)), nil
}

func newLoginForm(f *Form, captcha bool) *LoginForm {
	lf := &LoginForm{Form: f, Orgaos: f.Selects[FieldOrgao], Captcha: captcha}
	for _, fl := range f.Fields {
		if fl.Type == "hidden" && strings.HasPrefix(fl.Name, "hdnToken") {
			lf.TokenField = fl.Name
		}
	}
	return lf
}

// ErrNoOrgao is returned when the form's órgão cannot be chosen from the credentials.
var ErrNoOrgao = errors.New("órgão not offered by the login form")

// Fill returns the values to POST: every hidden input as served (hdnToken included), the
// credentials, hdnAcao=2 (SIP 3's "log in" action; 1 is what the page carries) and the submit button
// a user would click (SIP 2 only logs in when sbmLogin is posted). orgao may be the option's value
// (the numeric id) or its label (the sigla); empty picks the only órgão or keeps the preselected one.
func (lf *LoginForm) Fill(user, password, orgao string) (url.Values, error) {
	v := lf.Values()
	v.Set(FieldUser, user)
	v.Set(FieldPass, password)
	if lf.Has(FieldAction) {
		v.Set(FieldAction, "2")
	}
	if len(lf.Orgaos) > 0 {
		val, err := chooseOrgao(lf.Orgaos, orgao)
		if err != nil {
			return nil, err
		}
		v.Set(FieldOrgao, val)
	} else if orgao != "" {
		v.Set(FieldOrgao, orgao)
	}
	if s, ok := lf.Submit(""); ok {
		v.Set(s.Name, s.Value)
	}
	return v, nil
}

func chooseOrgao(opts []Option, want string) (string, error) {
	real := opts[:0:0]
	for _, o := range opts {
		if o.Value != "null" && o.Value != "" {
			real = append(real, o)
		}
	}
	if want == "" {
		if len(real) == 1 {
			return real[0].Value, nil
		}
		for _, o := range real {
			if o.Selected {
				return o.Value, nil
			}
		}
		return "", fmt.Errorf("%w: no órgão configured and the form offers %d", ErrNoOrgao, len(real))
	}
	for _, o := range real {
		if o.Value == want {
			return o.Value, nil
		}
	}
	for _, o := range real {
		if strings.EqualFold(o.Label, want) {
			return o.Value, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrNoOrgao, want)
}

// Login outcomes a caller can tell apart with errors.Is.
var (
	ErrLoginFormMissing = errors.New("SIP login form (frmLogin) not found")
	ErrLoginRejected    = errors.New("login rejected")
	ErrCaptcha          = errors.New("SIP asks for a captcha")
	ErrTwoFactor        = errors.New("account requires two-factor authentication")
	ErrMaintenance      = errors.New("instance in maintenance")
	ErrNoCredentials    = errors.New("no monitoring credentials configured")
)

// LoginResult is a logged-in session's landing.
type LoginResult struct {
	// Entry is the SIP login page reached from /sei/ (its parsed form is not kept: a probe holds
	// its login result while it works, and hundreds of probes are in flight on a large fleet).
	Entry *Response
	// Landing is the page after the POST and the inicializar.php redirects (Controle de Processos).
	Landing *Response
	// LogoutURL is the landing page's signed logout link.
	LogoutURL string

	landingPage *Page
}

// LandingPage is the landing page's DOM, parsed on first use: a login itself reads both pages
// with the lexer (loginscan.go), and only some probers need more of the landing page.
func (r *LoginResult) LandingPage() *Page {
	if r.landingPage == nil && r.Landing != nil {
		r.landingPage, _ = ParseResponse(r.Landing)
	}
	return r.landingPage
}

// Login walks SIP's flow once: GET <base>/sei/ → redirect to SIP login → POST the form with every
// hidden input → follow inicializar.php (new PHPSESSID) → Controle de Processos. It never retries:
// SIP shows a captcha after three failures in a session. The returned result holds whatever was
// reached, also on error.
func Login(ctx context.Context, s *Session, base string, c probe.Credentials) (*LoginResult, error) {
	if c.Empty() {
		return nil, ErrNoCredentials
	}
	entry, err := s.Get(ctx, JoinURL(base, "/sei/"))
	if err != nil {
		return &LoginResult{Entry: entry}, fmt.Errorf("open login page: %w", err)
	}
	return LoginFrom(ctx, s, entry, c)
}

// LoginFrom logs in from a login page the session already opened (GET /sei/ and its redirect to
// SIP), as a user does: probers that read the entry page first do not fetch it twice.
func LoginFrom(ctx context.Context, s *Session, entry *Response, c probe.Credentials) (*LoginResult, error) {
	if c.Empty() {
		return nil, ErrNoCredentials
	}
	res := &LoginResult{Entry: entry}
	if entry.Status != 200 {
		return res, fmt.Errorf("open login page: %s answered HTTP %d", entry.SafeURL(), entry.Status)
	}
	ef := scanLogin(entry.Text(), entry.URL)
	if ef.form == nil {
		if ScanVersions(entry.Text()).Maintenance {
			return res, ErrMaintenance
		}
		return res, fmt.Errorf("%w at %s", ErrLoginFormMissing, entry.SafeURL())
	}
	lf := newLoginForm(ef.form, ef.captcha)
	if lf.Captcha {
		return res, ErrCaptcha
	}
	vals, err := lf.Fill(c.Username, c.Password.Reveal(), c.Orgao)
	if err != nil {
		return res, err
	}
	landing, err := s.Do(ctx, Request{Method: lf.Method, URL: lf.Action, Form: vals})
	res.Landing = landing
	if err != nil {
		return res, fmt.Errorf("submit login: %w", err)
	}
	lfacts := scanLogin(landing.Text(), landing.URL)
	res.LogoutURL = lfacts.logout
	if err := checkLanding(landing, lfacts, res.LandingPage); err != nil {
		return res, err
	}
	return res, nil
}

// CheckLanding tells whether a page is a logged-in SEI page, and if not, why.
func CheckLanding(r *Response, p *Page) error {
	f := loginFacts{loginForm: p.Has(LoginFormSelector), captcha: p.Has(captchaSelector),
		twoFactor: p.Has(twoFactorSelector), loggedIn: LoggedIn(p)}
	return checkLanding(r, f, func() *Page { return p })
}

// checkLanding is CheckLanding from the scanned facts; the DOM (page) is only built to quote SEI's
// messages when the login failed.
func checkLanding(r *Response, f loginFacts, page func() *Page) error {
	if r.Status != 200 {
		return fmt.Errorf("%w: %s answered HTTP %d", ErrLoginRejected, r.SafeURL(), r.Status)
	}
	if f.loginForm {
		if f.captcha {
			return ErrCaptcha
		}
		msg := strings.Join(page().Messages(), "; ")
		if msg == "" {
			msg = "login form shown again"
		}
		return fmt.Errorf("%w: %s", ErrLoginRejected, msg)
	}
	if f.twoFactor {
		return ErrTwoFactor
	}
	if f.loggedIn {
		return nil
	}
	if ScanVersions(r.Text()).Maintenance {
		return ErrMaintenance
	}
	msg := strings.Join(page().Messages(), "; ")
	if msg == "" {
		msg = "no logged-in marker (lnkInfraSairSistema, lnkUsuarioSistema) on " + r.SafeURL()
	}
	return fmt.Errorf("%w: %s", ErrLoginRejected, msg)
}

// LoggedIn reports the markers of a logged-in SEI page: the logout link, the user link, or the
// process tables of Controle de Processos.
func LoggedIn(p *Page) bool {
	return p.Has("#lnkInfraSairSistema, #lnkUsuarioSistema, #tblProcessosRecebidos, #tblProcessosGerados, #frmProtocoloPesquisaRapida")
}

// Logout follows the logged-in page's signed logout link (a#lnkInfraSairSistema). Monitoring runs
// often; leaving sessions behind would fill SIP's login table.
func Logout(ctx context.Context, s *Session, p *Page) (*Response, error) {
	return LogoutAt(ctx, s, LogoutURL(p))
}

// LogoutURL is the page's logout link ("" when it has none). A prober that logs out at the end of
// its run keeps this string rather than the landing page, so the page's tree is freed while the
// run goes on.
func LogoutURL(p *Page) string {
	u, _ := p.Link("#lnkInfraSairSistema")
	return u
}

// LogoutAt follows a logout link LogoutURL found, to the page SEI sends a user to after leaving
// (SIP's login page), which is read but not kept: the response says where the logout ended.
func LogoutAt(ctx context.Context, s *Session, u string) (*Response, error) {
	if u == "" {
		return nil, errors.New("logout link (lnkInfraSairSistema) not found")
	}
	r, err := s.Do(ctx, Request{URL: u, Discard: true})
	if err != nil {
		return r, fmt.Errorf("logout: %w", err)
	}
	return r, nil
}

// ErrSessionEnded says a kept session no longer opens its landing page logged in: it expired, an
// administrator ended it, or SEI restarted. A new login is the remedy, not a failure of the run.
var ErrSessionEnded = errors.New("kept session ended")

// KeptLogin is what a logged-in session leaves for a later run that resumes it instead of logging
// in again: the SEI session cookies and the signed landing and logout links. Infra signs links with
// a per-session secret (infra_hash), so the links stay valid exactly as long as the session does.
// It holds a session credential: never log or export it.
type KeptLogin struct {
	Landing, Logout string
	Cookies         []*http.Cookie
}

// Keep returns what resumes this login later, taken from session s it was made in; ok is false
// when the landing page gave no logout link (a session that could not be ended is not kept).
func (r *LoginResult) Keep(s *Session) (KeptLogin, bool) {
	if r.Landing == nil || r.Landing.URL == nil || r.LogoutURL == "" {
		return KeptLogin{}, false
	}
	cs := s.jar.Cookies(r.Landing.URL)
	if len(cs) == 0 {
		return KeptLogin{}, false
	}
	return KeptLogin{Landing: r.Landing.URL.String(), Logout: r.LogoutURL, Cookies: cs}, true
}

// Resume opens a kept login's landing page in session s (which gets the kept cookies) and
// returns the landing as a LoginResult. It fails with ErrSessionEnded when SEI no longer knows the
// session (it sends the browser to SIP's login page); the caller then clears the session's cookies
// and logs in. Any other error (the instance does not answer, maintenance) is the instance's.
func Resume(ctx context.Context, s *Session, k KeptLogin) (*LoginResult, error) {
	if err := s.restore(k); err != nil {
		return nil, err
	}
	landing, err := s.Get(ctx, k.Landing)
	res := &LoginResult{Landing: landing}
	if err != nil {
		return res, err
	}
	// Read through the landing page's element index, which the caller's queries of the same page
	// (menus, module links) then reuse: one pass over the page instead of a login scan and then
	// the index.
	if p := res.LandingPage(); landing.Status == 200 && LoggedIn(p) {
		if res.LogoutURL = LogoutURL(p); res.LogoutURL == "" {
			res.LogoutURL = k.Logout
		}
		return res, nil
	}
	if ScanVersions(landing.Text()).Maintenance {
		return res, ErrMaintenance
	}
	return res, ErrSessionEnded
}

// ResumeLogout ends a kept login: the session's signed logout link, with its cookies.
func ResumeLogout(ctx context.Context, s *Session, k KeptLogin) (*Response, error) {
	if err := s.restore(k); err != nil {
		return nil, err
	}
	return LogoutAt(ctx, s, k.Logout)
}

// restore puts a kept login's cookies in the session's store. Without a Path the store scopes them
// to the landing page's directory (/sei): sent to SEI's pages, never to SIP's, whose own session a
// new login then starts cleanly.
func (s *Session) restore(k KeptLogin) error {
	u, err := url.Parse(k.Landing)
	if err != nil {
		// The link is signed for the session: the parse error, which quotes it, is not passed on.
		return errors.New("kept landing link does not parse")
	}
	cs := make([]*http.Cookie, len(k.Cookies))
	for i, c := range k.Cookies {
		cs[i] = &http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted}
	}
	s.jar.SetCookies(u, cs)
	return nil
}
