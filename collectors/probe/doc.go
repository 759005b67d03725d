// Package probe owns the vocabulary shared by every stage of vigia: the Target an instance is probed
// as, and the Result a prober returns. It is a leaf: it imports nothing of vigia's, so the scheduler,
// the metrics, the Elasticsearch shipper and the alert evaluator can all consume Results without
// importing one another.
package probe
