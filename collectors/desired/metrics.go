package desired

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	info        *prometheus.GaugeVec
	latest      *prometheus.GaugeVec
	success     prometheus.Gauge
	lastSuccess prometheus.Gauge
	errors      prometheus.Counter
	instances   prometheus.Gauge
	invalid     prometheus.Gauge
	duration    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sei_desired_version_info",
			Help: "Desired version of a component (sei, sip or a module name) of an instance, from the GitOps repository.",
		}, []string{"instance", "component", "version"}),
		latest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sei_latest_version_info",
			Help: "Fleet-wide latest version of a component (sei, sip or a module name), from the configuration.",
		}, []string{"component", "version"}),
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigia_desired_refresh_success",
			Help: "Whether the last desired-state refresh read the repository and every values file (1) or not (0).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigia_desired_last_success_timestamp_seconds",
			Help: "Unix time of the last fully successful desired-state refresh.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigia_desired_refresh_errors_total",
			Help: "Desired-state refreshes that failed or skipped invalid values files.",
		}),
		instances: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigia_desired_instances",
			Help: "Instances in the current desired state.",
		}),
		invalid: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigia_desired_invalid_files",
			Help: "Values files skipped at the current revision (YAML errors, duplicate instance names, unreadable).",
		}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigia_desired_refresh_duration_seconds",
			Help: "Duration of the last desired-state refresh.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.info, m.latest, m.success, m.lastSuccess, m.errors, m.instances, m.invalid, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering desired-state metrics (one desired.Store per registry): %w", err)
		}
	}
	return m, nil
}

type seriesKey struct{ instance, component, version string }

// seriesOf lists the info series of a state; components with no version stated have none.
func seriesOf(instances map[string]Versions) map[seriesKey]struct{} {
	out := make(map[seriesKey]struct{}, len(instances)*4)
	for name, v := range instances {
		if v.SEI != "" {
			out[seriesKey{name, "sei", v.SEI}] = struct{}{}
		}
		if v.SIP != "" {
			out[seriesKey{name, "sip", v.SIP}] = struct{}{}
		}
		for mod, ver := range v.Modules {
			if ver != "" {
				out[seriesKey{name, mod, ver}] = struct{}{}
			}
		}
	}
	return out
}
