package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultRunDir is where test/services.sh keeps its state when VIGIA_RUNDIR is not set.
const DefaultRunDir = "/tmp/vigia-it"

// StartHint is the command a developer runs to get the services a skipped test wanted.
const StartHint = "bash test/services.sh install && bash test/services.sh start && . /tmp/vigia-it/env"

// Integration reports whether the run demands real services (VIGIA_IT=1): then a missing
// service fails the test instead of skipping it. Only the process environment counts.
func Integration() bool {
	return os.Getenv("VIGIA_IT") == "1"
}

// RunDir is the directory test/services.sh works in: $VIGIA_RUNDIR or DefaultRunDir.
func RunDir() string {
	if d := os.Getenv("VIGIA_RUNDIR"); d != "" {
		return d
	}
	return DefaultRunDir
}

// EnvFile is the file `test/services.sh start` writes the service variables to.
func EnvFile() string {
	return filepath.Join(RunDir(), "env")
}

// Getenv returns a service variable: from the process environment when set and not empty,
// else from EnvFile (read anew on each call, so a restart of the services is seen), else "".
func Getenv(key string) string {
	v, _ := loadEnv().get(key)
	return v
}

// environment resolves variables for one check: the process environment over the env file.
type environment struct {
	file    map[string]string
	fileErr error // why the env file could not be used; nil when it was read or is absent
}

func loadEnv() environment {
	f, err := os.Open(EnvFile())
	if errors.Is(err, fs.ErrNotExist) {
		return environment{}
	}
	if err != nil {
		return environment{fileErr: err}
	}
	defer f.Close()
	vars, err := parseEnvFile(f)
	if err != nil {
		return environment{fileErr: fmt.Errorf("%s: %w", EnvFile(), err)}
	}
	return environment{file: vars}
}

// get returns the value and where it came from, for error messages.
func (e environment) get(key string) (value, source string) {
	if v := os.Getenv(key); v != "" {
		return v, "environment"
	}
	if v := e.file[key]; v != "" {
		return v, EnvFile()
	}
	return "", ""
}

// parseEnvFile reads the shell file services.sh writes: `export KEY='value'` lines, comments
// and blank lines. It understands the quoting a POSIX shell would (single quotes, double quotes
// with backslash escapes, backslash outside quotes), which is all shq() in services.sh emits.
func parseEnvFile(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !validName(key) {
			return nil, fmt.Errorf("line %d: want KEY=value, got %q", n, line)
		}
		value, err := unquoteShell(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, key, err)
		}
		vars[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading env file: %w", err)
	}
	return vars, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func unquoteShell(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated single quote")
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", errors.New("unterminated double quote")
			}
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case ' ', '\t':
			// A shell would end the word here; what follows is a comment or a second word.
			rest := strings.TrimSpace(s[i:])
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return "", fmt.Errorf("unexpected text after the value: %q", rest)
			}
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
