// Package discovery owns dynamic target lists: Prometheus-format file_sd files (globs, re-read when
// they change) and http_sd endpoints (polled with optional bearer auth). Each source keeps its last
// good list when a read fails, so a broken file or an unreachable inventory never empties the fleet.
package discovery
