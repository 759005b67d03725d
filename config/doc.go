// Package config owns vigia's configuration: the YAML schema, defaults, `${ENV}` expansion, strict
// decoding and whole-config validation that names the file, line and field of every problem.
//
// It is a leaf package: collectors, alerting and the daemon import it; it imports nothing of vigia's
// but the probe vocabulary. A new section is a field on Config plus a Validate(path, *Problems) method
// on its type (and, where it has them, a setDefaults method); the loader finds lines for the paths
// that Validate reports.
package config
