package desired

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
)

func TestParseValues(t *testing.T) {
	def := Fields{}.withDefaults()
	helm := Fields{Instance: "release.name", SEI: "global.sei.image.tag", SIP: "global.sip.image.tag", Modules: "global.seiModules"}
	tests := []struct {
		file     string
		fields   Fields
		instance string
		want     Versions
	}{
		{"testdata/fleet/instances/mgi-prod/values.yaml", def, "mgi-prod",
			Versions{SEI: "5.0.3", SIP: "5.0.3", Modules: map[string]string{"mod-sei-pen": "4.0.3", "mod-wssei": "3.0.2"}}},
		{"testdata/fleet/instances/anatel-homolog/values.yaml", def, "anatel-homolog",
			Versions{SEI: "5.0.0-RC2", SIP: "5.0.0", Modules: map[string]string{"peticionamento": "4.6.5", "mod-wssei": "3.0.1", "mod-sei-estatisticas": ""}}},
		{"testdata/fleet/instances/dnit-prod/values.yaml", def, "dnit-prod",
			Versions{SEI: "4.0.12.15", Modules: map[string]string{"mod-sei-pen": "3.8.2", "mod-wssei": "2.2.0"}}},
		{"testdata/helm/clusters/aws/mgi/values.yaml", helm, "mgi-prod",
			Versions{SEI: "v5.0.3", SIP: "v5.0.3", Modules: map[string]string{"mod-sei-pen": "4.0.3"}}},
		{"testdata/helm/clusters/gcp/inss/values.yaml", helm, "inss-prod",
			Versions{SEI: "4.1.5", SIP: "3.0.0", Modules: map[string]string{"mod-sei-pen": "3.8.2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			rel := strings.TrimPrefix(tt.file, "testdata/")
			name, v, err := parseValues(rel, data, tt.fields.withDefaults())
			if err != nil {
				t.Fatalf("parseValues: %v", err)
			}
			if name != tt.instance || v.SEI != tt.want.SEI || v.SIP != tt.want.SIP || !maps.Equal(v.Modules, tt.want.Modules) {
				t.Errorf("got %q %+v, want %q %+v", name, v, tt.instance, tt.want)
			}
		})
	}
}

func TestParseValuesSnippets(t *testing.T) {
	def := Fields{}.withDefaults()
	tests := []struct {
		name, path, yaml string
		fields           Fields
		instance         string
		want             Versions
	}{
		{"root file named by its stem", "mgi.yaml", "sei: {version: 4.1.5}", def, "mgi", Versions{SEI: "4.1.5"}},
		{"numeric YAML keeps its text", "x/a/v.yaml", "sei: {version: 4.10}", def, "a", Versions{SEI: "4.10"}},
		{"key containing dots", "x/a/v.yaml", "sei: {image.tag: 5.0.1}", Fields{SEI: "sei.image.tag"}.withDefaults(), "a", Versions{SEI: "5.0.1"}},
		{"list index in the path", "x/a/v.yaml", "containers: [{tag: 5.0.2}]", Fields{SEI: "containers.0.tag"}.withDefaults(), "a", Versions{SEI: "5.0.2"}},
		{"null version", "x/a/v.yaml", "sei: {version: ~}\nsip: {version: 3.0.0}", def, "a", Versions{SIP: "3.0.0"}},
		{"empty module map", "x/a/v.yaml", "sei: {version: 5.0.0, modules: {}}", def, "a", Versions{SEI: "5.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, v, err := parseValues(tt.path, []byte(tt.yaml), tt.fields)
			if err != nil {
				t.Fatalf("parseValues: %v", err)
			}
			if name != tt.instance || v.SEI != tt.want.SEI || v.SIP != tt.want.SIP || !maps.Equal(v.Modules, tt.want.Modules) {
				t.Errorf("got %q %+v, want %q %+v", name, v, tt.instance, tt.want)
			}
		})
	}
}

func TestParseValuesErrors(t *testing.T) {
	def := Fields{}.withDefaults()
	tests := []struct {
		name, yaml string
		line       int
		msg        string
	}{
		{"syntax error", "instance:\n  name: x\nsei:\n  version: 5.0.0: x\n", 4, "invalid YAML: mapping values are not allowed"},
		// yaml.v3 reports the line where the enclosing mapping starts for a bad indentation.
		{"bad indentation", "sei:\n  version: 5.0.0\n modules: [\n", 2, "invalid YAML: did not find expected key"},
		{"tab indentation", "sei:\n\tversion: 5.0.0\n", 2, "invalid YAML"},
		{"empty file", "", 0, "empty values file"},
		{"top-level list", "- a\n- b\n", 1, "top level is a list"},
		{"version is a map", "sei:\n  version:\n    major: 5\n", 3, "sei.version: want a scalar"},
		{"module list item without name", "sei:\n  modules:\n    - version: 1.0.0\n", 3, "no name"},
		{"module listed twice", "sei:\n  modules:\n    - {name: a, version: 1.0.0}\n    - {name: a, version: 1.0.1}\n", 4, `module "a" listed twice`},
		{"modules is a scalar", "sei:\n  modules: lots\n", 2, "want a map or a list"},
		{"instance name empty", "instance: {name: \"\"}\nsei: {version: 5.0.0}\n", 1, "want a non-empty instance name"},
		{"no field found", "image:\n  tag: 5.0.0\n", 0, "none of the fields sei.version, sip.version, sei.modules is present"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseValues("instances/x/values.yaml", []byte(tt.yaml), def)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FileError", err)
			}
			if fe.Path != "instances/x/values.yaml" || fe.Line != tt.line || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("err = %q (line %d), want line %d and %q", err, fe.Line, tt.line, tt.msg)
			}
		})
	}
}
