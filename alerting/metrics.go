package alerting

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/config"
)

// Notification outcomes (the outcome label of vigia_notifications_total).
const (
	OutcomeSent    = "sent"    // delivered
	OutcomeFailed  = "failed"  // given up: not retryable, or out of attempts (the next group_interval tries again)
	OutcomeRetried = "retried" // one attempt failed and will be retried after a backoff
	OutcomeDropped = "dropped" // the receiver's queue was full and this update was the oldest
)

type metrics struct {
	alerts         *prometheus.GaugeVec
	evalDuration   prometheus.Histogram
	notifications  *prometheus.CounterVec
	queueDepth     *prometheus.GaugeVec
	notifyDuration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigia_alerts",
			Help: "Alerts by state (pending, firing) and severity, silenced and inhibited ones included.",
		}, []string{"state", "severity"}),
		evalDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigia_rule_evaluation_duration_seconds",
			Help:    "Time to evaluate every rule that reads one probe result.",
			Buckets: []float64{1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2},
		}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigia_notifications_total",
			Help: "Notifications per receiver by outcome: sent, failed (given up), retried (an attempt to be retried), dropped (queue full).",
		}, []string{"receiver", "outcome"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vigia_notification_queue_depth",
			Help: "Group updates waiting for each receiver.",
		}, []string{"receiver"}),
		notifyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigia_notification_duration_seconds",
			Help:    "Time of each delivery attempt per receiver.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"receiver"}),
	}
	for _, st := range []string{StatePending, StateFiring} {
		for _, sev := range config.Severities {
			m.alerts.WithLabelValues(st, sev)
		}
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.alerts, m.evalDuration, m.notifications, m.queueDepth, m.notifyDuration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, errors.New("alerting metrics already registered: one Manager per registry")
			}
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) alertState(state, severity string, delta float64) {
	m.alerts.WithLabelValues(state, severity).Add(delta)
}

func (m *metrics) receiver(name string) {
	for _, o := range []string{OutcomeSent, OutcomeFailed, OutcomeRetried, OutcomeDropped} {
		m.notifications.WithLabelValues(name, o)
	}
	m.queueDepth.WithLabelValues(name)
	m.notifyDuration.WithLabelValues(name)
}
