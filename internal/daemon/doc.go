// Package daemon owns the running vigia process: it loads the config, wires the probers, the
// scheduler, the result consumers (metrics, events, alerting) and the HTTP surface together, and
// handles reloads (SIGHUP, POST /-/reload) and graceful shutdown. It is the only place that knows
// every component; the components know only the interfaces they consume.
package daemon
