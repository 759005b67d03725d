package sei

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/vigia-sei/vigia/collectors/probe"
)

func TestBodyClasses(t *testing.T) {
	prev := 0
	for c := 0; c < nBodyClasses; c++ {
		size := bodyClassSize(c)
		if size <= prev {
			t.Fatalf("class %d: size %d not above the previous %d", c, size, prev)
		}
		if c > 0 && size-prev > size/4 {
			t.Errorf("class %d: %d bytes, %d above the previous: more than a quarter wasted", c, size, size-prev)
		}
		for _, n := range []int{prev + 1, size} {
			if got := bodyClass(n); got != c {
				t.Errorf("bodyClass(%d) = %d, want %d (sizes %d..%d)", n, got, c, prev+1, size)
			}
		}
		prev = size
	}
	if prev != 1<<maxBodyShift || bodyClass(prev+1) != -1 || bodyClass(1) != 0 {
		t.Errorf("largest class %d bytes; bodyClass(%d) = %d", prev, prev+1, bodyClass(prev+1))
	}
}

func TestReadBody(t *testing.T) {
	page := bytes.Repeat([]byte("<p>Usu\xe1rio</p>"), 5000) // 75 KB: moves up three classes when chunked
	tests := []struct {
		name      string
		body      []byte
		hint      int64
		max       int64
		r         func(io.Reader) io.Reader
		want      int
		truncated bool
	}{
		{name: "empty", body: nil, hint: 0, max: 1 << 20, want: 0},
		{name: "known length", body: page, hint: int64(len(page)), max: 1 << 20, want: len(page)},
		{name: "chunked", body: page, hint: -1, max: 1 << 20, want: len(page)},
		{name: "one byte at a time", body: page[:9000], hint: -1, max: 1 << 20, r: iotest.OneByteReader, want: 9000},
		{name: "over the cap, chunked", body: page, hint: -1, max: 10000, want: 10000, truncated: true},
		{name: "over the cap, known length", body: page, hint: int64(len(page)), max: 10000, want: 10000, truncated: true},
		{name: "cap exactly the length", body: page, hint: -1, max: int64(len(page)), want: len(page)},
		{name: "beyond the largest class", body: bytes.Repeat(page, 20), hint: -1, max: 5 << 20, want: 20 * len(page)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(ClientOptions{MaxBodyBytes: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = bytes.NewReader(tt.body)
			if tt.r != nil {
				r = tt.r(r)
			}
			bb, truncated, err := c.readBody(r, tt.hint)
			if err != nil {
				t.Fatal(err)
			}
			if truncated != tt.truncated || len(bb.b) != tt.want || !bytes.Equal(bb.b, tt.body[:tt.want]) {
				t.Fatalf("read %d bytes (truncated=%v), want the first %d (truncated=%v)", len(bb.b), truncated, tt.want, tt.truncated)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		c, _ := NewClient(ClientOptions{})
		boom := errors.New("connection reset")
		_, _, err := c.readBody(io.MultiReader(strings.NewReader("<html>"), iotest.ErrReader(boom)), -1)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the reader's", err)
		}
	})
}

// A run's pages are read into the session's memory; CloseKeep copies out what the Result keeps of
// them, and only that survives the session.
func TestSessionCloseKeepsTheResult(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latin1" {
			w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
			_, _ = io.WriteString(w, "<title>Usu\xe1rio</title><a id=m href=/sei/modulos/pesquisa/x.php>M\xf3dulo</a>")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<title>Usuário</title><a id="m" href="/sei/modulos/pen/x.php">Módulo</a>`)
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{})
	s := c.NewSession()
	var r probe.Result
	for _, path := range []string{"/latin1", "/utf8"} {
		resp, err := s.Get(context.Background(), srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := ParseResponse(resp)
		href, ok := page.Attr("a#m", "href")
		if !ok || !s.owns(href) {
			t.Fatalf("%s: href %q (found %v) should be a view of the session's memory", path, href, ok)
		}
		r.Modules = append(r.Modules, probe.Module{Name: href, Detail: page.Title()})
		r.Error = href
	}
	r.SetValue("duration_seconds", 1)
	released := append([]*bodyBuf(nil), s.bodies...)
	s.CloseKeep(&r)
	// Whoever gets this memory next writes over it: what the Result still pointed into shows.
	for _, bb := range released {
		b := bb.b[:cap(bb.b)]
		for i := range b {
			b[i] = '#'
		}
	}
	want := []probe.Module{
		{Name: "/sei/modulos/pesquisa/x.php", Detail: "Usuário"},
		{Name: "/sei/modulos/pen/x.php", Detail: "Usuário"},
	}
	for i, m := range r.Modules {
		if m != want[i] {
			t.Errorf("module %d after the session closed = %+v, want %+v", i, m, want[i])
		}
	}
	if r.Error != "/sei/modulos/pen/x.php" || r.Values["duration_seconds"] != 1 {
		t.Errorf("result after the session closed: error %q, values %v", r.Error, r.Values)
	}
	if len(s.bodies) != 0 || len(s.indexes) != 0 {
		t.Error("Close kept the run's memory")
	}
}
