// Package alerting owns alerts: rules evaluated per instance over probe Results, the state
// machine inactive → pending → firing → resolved per (rule, instance), and an Alertmanager-like
// pipeline after it — a routing tree with grouping (group_wait, group_interval,
// repeat_interval), inhibition, silences (fixed and recurring cron maintenance windows),
// deduplication by a notification log, and per-receiver bounded queues with retries — all of it
// persisted in a bbolt file so that a restart, kill -9 included, neither re-sends what was sent
// nor forgets what fires.
//
// It fixes what operators complain about in Prometheus + Alertmanager: repeat intervals and the
// notification log survive restarts; a resolution is sent once, and only to receivers that were
// told the alert fired; a probe that fails before it can observe something keeps the alerts
// about that observation as they were instead of resolving them mid-outage.
//
// Notifiers (Zabbix, e-mail, Slack, webhook, Alertmanager) live one per folder under
// alerting/notify and implement Notifier; alerting never imports them. The daemon feeds
// Manager.HandleResult from the probe scheduler and mounts Manager.APIHandler.
package alerting
