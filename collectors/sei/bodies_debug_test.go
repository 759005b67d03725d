//go:build vigiadebug

package sei

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Under -tags vigiadebug a page read after its session closed fails loudly.
func TestPageAfterCloseIsCaught(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		_, _ = io.WriteString(w, "<title>Usu\xe1rio</title><p id=x>a</p>")
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	resp, err := s.Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := ParseResponse(resp)
	text := string(resp.Text())
	_ = page.Has("p#x")
	dom, _ := ParseResponse(resp)
	if got := dom.Text("p:first-of-type"); got != "a" { // a pseudo-class: answered by a DOM
		t.Fatalf("DOM text before Close = %q", got)
	}
	s.Close()
	if got := dom.Text("p:first-of-type"); got == "a" {
		t.Error("a DOM still reads its page after the session closed")
	}
	if string(resp.Text()) == text || resp.Raw[0] != 0xff {
		t.Error("a handed-back body or text was not overwritten")
	}
	defer func() {
		if recover() == nil {
			t.Error("reading a page after its session closed did not panic")
		}
	}()
	page.Has("p#x")
}
