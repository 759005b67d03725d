// Package diskqueue owns vigia's bounded on-disk event buffer: an append-only log of segment files
// with one consumer, so that an outage of the event store or a restart of the daemon loses nothing.
//
// Records are appended whole with one write(2) each, so a killed process loses no acknowledged
// record (the page cache keeps it); a background fsync bounds what a power loss can take. The
// consumer reads ahead of a committed cursor and commits only what the store accepted, so a crash
// between shipping and committing replays records (the shipper's create-with-id makes replays
// idempotent) instead of losing them.
//
// When the queue reaches its byte limit the oldest segment is dropped as a whole and its records
// are counted; records of class Keep (alert state changes) found in it are first copied to the
// tail, so they are never dropped.
package diskqueue
