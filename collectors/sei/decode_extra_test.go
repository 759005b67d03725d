package sei

import (
	"bytes"
	"testing"

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
