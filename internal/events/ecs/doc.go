// Package ecs owns vigia's event model: the ECS-shaped JSON documents built from probe results,
// alert state changes and the daemon's own warnings, the list of every field those documents may
// carry (Fields, rendered into docs/events.md), and the Elasticsearch mapping derived from that
// list, so the documents, the documentation and the index template cannot drift apart.
//
// Documents are encoded once, when the event happens, and stored as encoded bytes: the disk buffer,
// the Elasticsearch shipper and the NDJSON files all carry the same bytes.
package ecs
