package test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// parseDockerfile parses deploy/Dockerfile with BuildKit's own parser and linter (what `docker
// build --check` runs first). No image is built here: there is no Docker daemon on this machine.
func parseDockerfile(t *testing.T) map[string]instructions.Stage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "deploy/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile does not parse: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		t.Errorf("lint %s: %s (%v)", rule, msg, loc)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	out := map[string]instructions.Stage{}
	var order []string
	for _, s := range stages {
		out[s.Name] = s
		order = append(order, s.Name)
	}
	// `docker build` without --target builds the last stage: that must be vigia.
	if want := []string{"build", "seisim", "vigia"}; !slices.Equal(order, want) {
		t.Fatalf("stages = %v, want %v (vigia last: the default target)", order, want)
	}
	return out
}

func TestDockerfileFinalImages(t *testing.T) {
	stages := parseDockerfile(t)
	tests := []struct {
		stage, binary, port string
		entrypoint          []string
	}{
		{"vigia", "/vigia", "9470", []string{"/vigia", "run", "--config", "/etc/vigia/vigia.yaml"}},
		{"seisim", "/seisim", "8480", []string{"/seisim"}},
	}
	for _, tc := range tests {
		t.Run(tc.stage, func(t *testing.T) {
			s := stages[tc.stage]
			if s.BaseName != "gcr.io/distroless/static-debian12:nonroot" {
				t.Errorf("base = %q, want distroless static nonroot", s.BaseName)
			}
			var user, entrypoint []string
			var ports []string
			copied := false
			for _, c := range s.Commands {
				switch c := c.(type) {
				case *instructions.UserCommand:
					user = append(user, c.User)
				case *instructions.EntrypointCommand:
					if c.PrependShell {
						t.Errorf("ENTRYPOINT in shell form: distroless has no shell")
					}
					entrypoint = c.CmdLine
				case *instructions.ExposeCommand:
					ports = append(ports, c.Ports...)
				case *instructions.CopyCommand:
					if c.From == "build" && c.DestPath == tc.binary {
						copied = true
					}
				case *instructions.RunCommand:
					t.Errorf("RUN %q in a distroless stage: there is no shell to run it", c.CmdLine)
				}
			}
			if len(user) == 0 || !strings.HasPrefix(user[len(user)-1], "nonroot") {
				t.Errorf("USER = %v, want nonroot last", user)
			}
			if !slices.Equal(entrypoint, tc.entrypoint) {
				t.Errorf("ENTRYPOINT = %q, want %q", entrypoint, tc.entrypoint)
			}
			if !slices.Equal(ports, []string{tc.port}) {
				t.Errorf("EXPOSE = %v, want %s", ports, tc.port)
			}
			if !copied {
				t.Errorf("stage does not COPY %s from the build stage", tc.binary)
			}
		})
	}
	// State must be a writable volume owned by nonroot, at the state_dir of the shipped config.
	var volume, ownedState bool
	for _, c := range stages["vigia"].Commands {
		switch c := c.(type) {
		case *instructions.VolumeCommand:
			volume = slices.Contains(c.Volumes, "/var/lib/vigia")
		case *instructions.CopyCommand:
			if c.DestPath == "/var/lib/vigia" && c.Chown == "65532:65532" {
				ownedState = true
			}
		}
	}
	if !volume || !ownedState {
		t.Errorf("vigia stage: VOLUME /var/lib/vigia = %v, owned by 65532 = %v", volume, ownedState)
	}
}

var goDirective = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)

func TestDockerfileBuildStage(t *testing.T) {
	stages := parseDockerfile(t)
	b := stages["build"]
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := goDirective.FindSubmatch(gomod)
	if m == nil {
		t.Fatal("no go directive in go.mod")
	}
	if want := "golang:${GO_VERSION}-bookworm"; b.BaseName != want {
		t.Errorf("builder base = %q, want %q", b.BaseName, want)
	}
	df, _ := os.ReadFile(filepath.Join(repoRoot, "deploy/Dockerfile"))
	if !strings.Contains(string(df), "ARG GO_VERSION="+string(m[1])+"\n") {
		t.Errorf("ARG GO_VERSION does not match go.mod's go %s", m[1])
	}
	builds := map[string]string{}
	cgoOff := false
	for _, c := range b.Commands {
		switch c := c.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "CGO_ENABLED" && kv.Value == "0" {
					cgoOff = true
				}
			}
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			if i := strings.Index(line, "go build"); i >= 0 {
				f := strings.Fields(line[i:])
				builds[f[len(f)-1]] = line
			}
		}
	}
	if !cgoOff {
		t.Error("CGO_ENABLED=0 is not set: the binary would not be static and distroless/static has no libc")
	}
	for _, pkg := range []string{"./cmd/vigia", "./cmd/seisim"} {
		line, ok := builds[pkg]
		if !ok {
			t.Errorf("no go build of %s (builds: %v)", pkg, keys(builds))
			continue
		}
		if !strings.Contains(line, "-trimpath") {
			t.Errorf("%s built without -trimpath", pkg)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, pkg)); err != nil {
			t.Errorf("%s does not exist in the repository: %v", pkg, err)
		}
	}
	if !strings.Contains(builds["./cmd/vigia"], "-X main.version=${VERSION}") {
		t.Error("vigia is built without -X main.version")
	}
	// main.version must exist, or -X silently sets nothing.
	src, err := os.ReadFile(filepath.Join(repoRoot, "cmd/vigia/main.go"))
	if err != nil || !regexp.MustCompile(`(?m)^var version = `).Match(src) {
		t.Errorf("cmd/vigia/main.go has no `var version` for -X main.version (%v)", err)
	}
}

// The image's own config must be one vigia accepts, with its state where the volume is.
func TestDockerImageDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, filepath.Join(repoRoot, "deploy/docker/vigia.yaml"), nil)
	if cfg.Global.StateDir != "/var/lib/vigia" {
		t.Errorf("state_dir = %q, want the image's volume /var/lib/vigia", cfg.Global.StateDir)
	}
	if cfg.Outputs.Elasticsearch != nil || len(cfg.Fleet.Instances) != 0 {
		t.Error("the image's default config should need no external service")
	}
}
