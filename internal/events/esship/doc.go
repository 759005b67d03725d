// Package esship owns the Elasticsearch side of vigia's events: the client (addresses, API key or
// basic auth, CA and client certificates, compression), the idempotent bootstrap at start (ILM
// policy, composable index template with the mapping from package ecs, data streams), and the
// Shipper that moves events from the disk buffer to the store with esutil.BulkIndexer.
//
// Delivery is at least once and replays are harmless: every event is a bulk "create" with the
// event's id, and the buffer is committed only up to the first event the store did not take.
// Events refused for good (a mapping error) go to a dead-letter file and do not block the
// stream; throttling, server errors and outages are retried with jittered backoff, resending
// from the buffer. A store that lacks an API (ZincSearch has no ILM) gets one warning, and
// shipping goes on.
package esship
