// Package server owns vigia's HTTP surface: /metrics, /healthz, /readyz, /-/reload and the JSON API
// mount points. Other packages contribute handlers (the alert API, the status page) through Handle;
// the server knows nothing of what they serve.
package server
