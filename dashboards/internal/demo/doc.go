// Package demo runs vigia's real probers, scheduler, discovery, desired state, alerting, Zabbix
// notifier and event pipeline against a simulated SEI fleet (internal/seisim, served over HTTPS on
// loopback) and gathers every metric family that run exports. Tests of the dashboards, the
// Prometheus rules and the Zabbix template use it to check that what they reference is what vigia
// really produces, not what someone remembered.
package demo
