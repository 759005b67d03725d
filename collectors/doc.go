// Package collectors owns probing: the scheduler that runs every prober against every instance on
// time, and the probers themselves, one per file (http.go, version.go, health.go, modules.go,
// synthetic.go). Probers return probe.Results; metrics.go turns Results into Prometheus series in one
// place. SEI page parsing lives in collectors/sei and desired state from Git in collectors/desired.
//
// collectors never imports alerting or the shippers: they consume Results through the ResultHandler
// the daemon passes to the scheduler.
package collectors
