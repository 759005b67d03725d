package tlsroots

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigia-sei/vigia/alerting/notify/webhook/webhooktest"
)

func TestPool(t *testing.T) {
	ca := webhooktest.NewCA(t, "vigia test CA")
	if p, err := Pool(ca.CAFile); err != nil || p == nil {
		t.Fatalf("CA file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Pool(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad CA file: %v, want the file named with the reason", err)
	}
	if _, err := Pool(filepath.Join(t.TempDir(), "missing.pem")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing CA file: %v, want the file named", err)
	}
}
