package ecs

import (
	"errors"
	"fmt"
)

// Record layout of an event in the disk buffer: u8 dataset | u8 id length | id | JSON document.

// AppendRecord appends the buffer record of ev to dst.
func AppendRecord(dst []byte, ev Event) ([]byte, error) {
	if len(ev.ID) == 0 || len(ev.ID) > 255 {
		return dst, fmt.Errorf("event id %q: must be 1 to 255 bytes", ev.ID)
	}
	if !ev.Dataset.Valid() {
		return dst, fmt.Errorf("event %s: unknown dataset %d", ev.ID, ev.Dataset)
	}
	dst = append(dst, byte(ev.Dataset), byte(len(ev.ID)))
	dst = append(dst, ev.ID...)
	return append(dst, ev.Doc...), nil
}

var errBadRecord = errors.New("malformed event record in the buffer")

// ParseRecord reads a record written by AppendRecord. Doc aliases b; Time is left zero (the
// buffer keeps it in its own header).
func ParseRecord(b []byte) (Event, error) {
	if len(b) < 2 {
		return Event{}, errBadRecord
	}
	d, n := Dataset(b[0]), int(b[1])
	if !d.Valid() || n == 0 || len(b) < 2+n+2 {
		return Event{}, errBadRecord
	}
	return Event{Dataset: d, ID: string(b[2 : 2+n]), Doc: b[2+n:]}, nil
}
