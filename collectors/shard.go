package collectors

import (
	"hash/fnv"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// InShard reports whether instance belongs to shard i of n. It uses rendezvous hashing: each
// instance goes to the shard with the highest hash of (instance, shard), so going from n to n+1
// shards moves only about 1/(n+1) of the fleet, and every replica agrees without talking.
func InShard(instance string, i, n int) bool {
	if n <= 1 {
		return true
	}
	return ShardOf(instance, n) == i
}

// ShardOf returns the shard in [0, n) that owns instance.
func ShardOf(instance string, n int) int {
	best, bestScore := 0, uint64(0)
	for s := 0; s < n; s++ {
		h := fnv.New64a()
		h.Write([]byte(instance))
		h.Write([]byte{0, byte(s), byte(s >> 8), byte(s >> 16)})
		// fnv's low bits mix poorly for short suffixes; a final avalanche step evens the spread.
		score := mix(h.Sum64())
		if s == 0 || score > bestScore {
			best, bestScore = s, score
		}
	}
	return best
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// FilterShard keeps the targets that belong to shard i of n.
func FilterShard(targets []probe.Target, i, n int) []probe.Target {
	if n <= 1 {
		return targets
	}
	out := targets[:0:0]
	for _, t := range targets {
		if InShard(t.Name, i, n) {
			out = append(out, t)
		}
	}
	return out
}
