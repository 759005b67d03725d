// Package templates owns the operator-facing texts of every notifier: the embedded Portuguese
// defaults (default/*.tmpl), the functions those templates may call, and the data they see. A
// receiver's config may override any template by name; New parses the defaults and the overrides
// together so a broken override is reported when vigia starts, not when the first alert fires.
package templates
