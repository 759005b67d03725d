package sei

import (
	"bytes"
	"testing"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

func TestDecodeBodyMislabelledLatin1(t *testing.T) {
	tests := []struct {
		name, ct string
		in       []byte
		want     string
	}{
		{"latin1 labelled utf-8 (PHP fatal error)", "text/html; charset=UTF-8", []byte("conex\xe3o"), "conexão"},
		{"real utf-8 kept", "text/html; charset=UTF-8", []byte("conexão"), "conexão"},
		{"latin1 labelled latin1", "text/html; charset=iso-8859-1", []byte("Manuten\xe7\xe3o"), "Manutenção"},
		{"no label, latin1 bytes", "text/html", []byte("Manuten\xe7\xe3o"), "Manutenção"},
	}
	for _, tt := range tests {
		if got := string(DecodeBody(tt.in, tt.ct)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestScanVersionsLatin1Title(t *testing.T) {
	page := []byte("<html><head><title>SEI - Sistema em Manuten\xe7\xe3o</title></head><body>Sistema em Manuten\xe7\xe3o</body></html>")
	if got := ScanVersions(page).Title; got != "SEI - Sistema em Manutenção" {
		t.Errorf("title %q", got)
	}
}

// TestDecodeSingleByteMatchesXText checks the exact-size decoder against x/text's for every byte of
// every single-byte charset a page may declare.
func TestDecodeSingleByteMatchesXText(t *testing.T) {
	all := make([]byte, 0, 256*2)
	for i := range 256 {
		all = append(all, 'a', byte(i))
	}
	for _, cm := range []*charmap.Charmap{charmap.Windows1252, charmap.ISO8859_1, charmap.ISO8859_15} {
		want, err := cm.NewDecoder().Bytes(all)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeSingleByte(cm, all, nil)
		if string(got) != string(want) {
			t.Errorf("%s: exact-size decoder differs from x/text", cm)
		}
		if len(got) != cap(got) {
			t.Errorf("%s: buffer %d bytes for %d", cm, cap(got), len(got))
		}
	}
}

func BenchmarkDecodeBody(b *testing.B) {
	page := bytes.Repeat([]byte("<p>Manuten\xe7\xe3o do sistema</p>\n"), 700)
	b.ReportAllocs()
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if out := DecodeBody(page, "text/html; charset=iso-8859-1"); len(out) <= len(page) {
			b.Fatal("not decoded")
		}
	}
}

// declaredCharset is a shortcut past mime.ParseMediaType for the Content-Types SEI sends: where it
// answers, it must answer what charset.DetermineEncoding does, and decode the same.
func TestDeclaredCharsetAgreesWithDetermineEncoding(t *testing.T) {
	latin1 := []byte("<p>Manuten\xe7\xe3o \x80 \x9f</p>")
	for _, ct := range []string{
		"text/html; charset=iso-8859-1", "text/html; charset=ISO-8859-1", "text/html;charset=UTF-8",
		"application/json; charset=utf-8", "text/html; charset=utf8 ", "text/html; charset=latin1",
		"text/html; charset=windows-1252", "text/html; charset=\"iso-8859-1\"", "text/html; charset=koi8-r",
		"text/html; charset=", "text/html; q=1; charset=utf-8", "text/html", "", "charset=utf-8",
		"text/html; charset=iso-8859-15", "text/html; charsetx=utf-8",
	} {
		_, name := declaredCharset(ct)
		if name == "" {
			continue
		}
		_, want, _ := charset.DetermineEncoding(nil, ct)
		if name != want {
			t.Errorf("%q: declaredCharset says %s, DetermineEncoding %s", ct, name, want)
		}
		if name == "windows-1252" {
			if got, want := string(DecodeBody(latin1, ct)), string(mustDecode(t, charmap.Windows1252, latin1)); got != want {
				t.Errorf("%q: decoded %q, want %q", ct, got, want)
			}
		}
	}
	for _, ct := range []string{"text/html; charset=iso-8859-1", "application/json; charset=UTF-8", "text/html;charset=utf-8"} {
		if _, name := declaredCharset(ct); name == "" {
			t.Errorf("%q: not recognised; SEI, SIP and mod-wssei send it", ct)
		}
	}
}

func mustDecode(t *testing.T, cm *charmap.Charmap, b []byte) []byte {
	t.Helper()
	out, err := cm.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
