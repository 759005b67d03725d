package alerting

import "sync"

// updateLog carries evaluator changes to the dispatch loop without ever blocking a probe worker.
// Refreshes of the same series in the same phase coalesce, so its size is bounded by the number
// of transitions between two passes, not by the result rate.
type updateLog struct {
	mu    sync.Mutex
	list  []update
	index map[string]int // series id → position of its latest entry in list
	wake  chan struct{}
}

func newUpdateLog() *updateLog {
	return &updateLog{index: map[string]int{}, wake: make(chan struct{}, 1)}
}

func (l *updateLog) add(u update) {
	l.mu.Lock()
	if i, ok := l.index[u.id]; ok {
		prev := &l.list[i]
		// Same phase of the same incident: keep one entry, remembering a pending store write.
		if prev.alert.State == u.alert.State && prev.gone == u.gone && prev.alert.StartsAt.Equal(u.alert.StartsAt) &&
			prev.alert.ActiveAt.Equal(u.alert.ActiveAt) {
			u.persist = u.persist || prev.persist
			*prev = u
			l.mu.Unlock()
			return
		}
	}
	l.index[u.id] = len(l.list)
	l.list = append(l.list, u)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *updateLog) drain() []update {
	l.mu.Lock()
	out := l.list
	l.list = nil
	clear(l.index)
	l.mu.Unlock()
	return out
}
