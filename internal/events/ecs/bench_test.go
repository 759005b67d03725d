package ecs

import (
	"testing"
	"time"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// BenchmarkResult is the encoder alone, without the outputs: the CPU a probe worker spends per
// result before the disk buffer's write(2).
func BenchmarkResult(b *testing.B) {
	cases := resultCases()
	pick := func(name string) probe.Result {
		for _, c := range cases {
			if c.name == name {
				return c.r
			}
		}
		b.Fatalf("no case %q", name)
		return probe.Result{}
	}
	for _, bc := range []struct{ name, c string }{{"health", "health ok"}, {"synthetic", "synthetic ok"}, {"modules", "modules"},
		{"version", "version with drift"}, {"failure", "health 503 with evidence"}} {
		b.Run(bc.name, func(b *testing.B) {
			enc := NewEncoder(Observer{Hostname: "vigia-0", Version: "1.0.0"}, "prod")
			r := pick(bc.c)
			r.Start = time.Now()
			var evs []Event
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if evs, err = enc.Result(evs[:0], r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
