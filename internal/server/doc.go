// Package server owns vigia's HTTP surface: /metrics, /healthz, /readyz, /-/reload and the JSON API
// mount points. Other packages contribute handlers (the alert API, the status page) through Handle;
// the server knows nothing of what they serve. /metrics serves a registry like promhttp does, plus
// an optional TextSource that renders its own families (the sei_* series) without building
// client_golang objects for them on every scrape.
package server
