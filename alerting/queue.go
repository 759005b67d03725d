package alerting

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// receiverQueue is the bounded queue of one receiver. An update for a group that is already
// queued replaces it in place (the newest state of a group is what matters); when the queue is
// full the oldest group update is dropped and counted.
type receiverQueue struct {
	name string

	mu       sync.Mutex
	notifier Notifier
	order    []string
	jobs     map[string]*job
	busy     bool
	limit    int
	wake     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
}

func newReceiverQueue(name string, n Notifier, limit int) *receiverQueue {
	return &receiverQueue{name: name, notifier: n, jobs: map[string]*job{}, limit: limit, wake: make(chan struct{}, 1)}
}

// push queues j and reports whether an older update was dropped to make room.
func (q *receiverQueue) push(j *job) (dropped bool) {
	q.mu.Lock()
	if _, ok := q.jobs[j.gid]; ok {
		q.jobs[j.gid] = j
	} else {
		for len(q.jobs) >= q.limit && len(q.order) > 0 {
			oldest := q.order[0]
			q.order = q.order[1:]
			if _, ok := q.jobs[oldest]; ok {
				delete(q.jobs, oldest)
				dropped = true
			}
		}
		q.jobs[j.gid] = j
		q.order = append(q.order, j.gid)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

func (q *receiverQueue) pop() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) > 0 {
		gid := q.order[0]
		q.order = q.order[1:]
		if j, ok := q.jobs[gid]; ok {
			delete(q.jobs, gid)
			q.busy = true
			return j
		}
	}
	return nil
}

func (q *receiverQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

func (q *receiverQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs) == 0 && !q.busy
}

// queued tells whether a newer update for the group waits: a retry of the older one is moot.
func (q *receiverQueue) queued(gid string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	_, ok := q.jobs[gid]
	return ok
}

func (q *receiverQueue) current() Notifier {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.notifier
}

// work delivers jobs until ctx ends.
func (m *Manager) work(ctx context.Context, q *receiverQueue) {
	defer close(q.done)
	for {
		j := q.pop()
		if j == nil {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		m.metrics.queueDepth.WithLabelValues(q.name).Set(float64(q.depth()))
		m.deliver(ctx, q, j)
		q.mu.Lock()
		q.busy = false
		q.mu.Unlock()
		select {
		case m.idle <- struct{}{}:
		default:
		}
	}
}

// deliver sends one job, retrying retryable failures with exponential backoff and jitter.
func (m *Manager) deliver(ctx context.Context, q *receiverQueue, j *job) {
	opts := m.opts()
	for attempt := 1; ; attempt++ {
		g := m.disp.prepare(j, m.clock.Now())
		if g == nil {
			return
		}
		actx, cancel := context.WithTimeout(ctx, opts.NotifyTimeout)
		start := time.Now()
		retryable, err := safeNotify(actx, q.current(), g)
		cancel()
		m.metrics.notifyDuration.WithLabelValues(q.name).Observe(time.Since(start).Seconds())
		if err == nil {
			entry := m.disp.sent(j, m.clock.Now())
			m.metrics.notifications.WithLabelValues(q.name, OutcomeSent).Inc()
			if err := m.store.put(bucketNflog, j.gid, entry); err != nil {
				m.log.Error("alerting: notification sent but not recorded; a restart may send it again",
					"receiver", q.name, "group_key", j.group.Key, "err", err)
			}
			return
		}
		if ctx.Err() != nil {
			// Shutting down: the notification log was not updated, so the next run sends it.
			return
		}
		last := !retryable || attempt >= opts.MaxAttempts
		log := m.log.With("receiver", q.name, "group_key", j.group.Key, "attempt", attempt, "retryable", retryable, "err", err)
		if last {
			m.metrics.notifications.WithLabelValues(q.name, OutcomeFailed).Inc()
			log.Warn("alerting: notification failed; the group is tried again at its next group_interval")
			return
		}
		m.metrics.notifications.WithLabelValues(q.name, OutcomeRetried).Inc()
		log.Info("alerting: notification failed, retrying")
		if q.queued(j.gid) {
			return // a newer update of this group is queued and supersedes this one
		}
		t := time.NewTimer(backoff(opts.RetryBase, opts.RetryMax, attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is base·2^(attempt-1) capped at max, with full jitter over its upper half so that many
// groups failing at once do not retry in lockstep.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

var errNotifierPanic = errors.New("notifier panicked; this is a vigia bug, please report it")

// safeNotify keeps a panicking notifier from taking the daemon down.
func safeNotify(ctx context.Context, n Notifier, g *Group) (retryable bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			retryable, err = false, errNotifierPanic
		}
	}()
	if n == nil {
		return false, errors.New("no notifier for this receiver")
	}
	return n.Notify(ctx, g)
}
