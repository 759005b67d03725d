// Package events owns vigia's event output: it turns probe results, alert state changes and
// (optionally) the daemon's own warnings into ECS documents (package ecs) and hands them to the
// configured outputs — the Elasticsearch shipper behind a bounded disk buffer (packages esship and
// diskqueue), and/or rotating local NDJSON files (package ndjson), the embedded default.
//
// The daemon builds one Pipeline with NewFromConfig, calls HandleResult and HandleAlert from its
// workers (cheap: encode and append to a local file, never the network), runs Run until shutdown
// and then calls Close. docs/events.md documents every field.
package events
