package sei

import "testing"

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
