package test

import (
	"os"
	"testing"

	"github.com/vigia-sei/vigia/config"
)

// loadConfig runs vigia's config loader on file with exactly the variables in env: a ${VAR} the
// deployment does not provide is an error, as it would be at start-up.
func loadConfig(t *testing.T, file string, env map[string]string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(file, data, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("vigia rejects %s: %v", file, err)
	}
	return cfg
}
