// Package ndjson owns the embedded default event output: rotating local files of one JSON document
// per line, the same ECS documents the Elasticsearch shipper sends, for a vigia run with no event
// store (make demo) or beside one.
//
// Files are named events-<UTC creation time>.ndjson, so the name says the age and names sort in
// time order. A file is closed when it passes MaxBytes or MaxAge; only the newest MaxFiles are kept.
package ndjson
