// Package alertmanager owns the Alertmanager receiver: vigia's alerts posted to
// /api/v2/alerts of one or more Alertmanagers, for HA or sharded vigia deployments where an
// Alertmanager cluster deduplicates what several vigia replicas send. Like Prometheus, it posts
// firing alerts again every resend interval with an end time a few intervals ahead, so an alert
// whose vigia died resolves by itself, and posts the real end time when an alert resolves.
package alertmanager
