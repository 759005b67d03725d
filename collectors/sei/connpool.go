package sei

import (
	"sync"
	"sync/atomic"
	"time"
)

// ConnPool hands a run's kept-alive connection on to the next run against the same server, as a
// browser keeps its connection for the next page. The scheduler starts an instance's probes a
// moment apart (health, then version, modules and synthetic), so on a healthy instance each run
// finds the connection the one before left, instead of opening and closing a TCP connection (and
// a TLS session) of its own four times a minute.
//
// Only the connection passes on: cookies, the SIP session and the pages stay in their run, whose
// Session has its own jar. A connection waits at most maxIdle (2 s), well inside the keep-alive
// timeout of Apache (5 s) and of the load balancers in front of SEI, and only a GET takes one, so
// a request the server refuses on a connection it just closed can be sent again safely.
//
// A nil *ConnPool lends nothing. Safe for concurrent use.
type ConnPool struct {
	mu   sync.Mutex
	idle map[string][]*pconn
	// order is every connection put, oldest first, for expiry; entries taken since are skipped.
	order []pooledConn
	now   func() time.Time
	// taken and missed count the runs that found a connection to take over and those that found
	// none (HandOvers).
	taken, missed atomic.Int64
}

type pooledConn struct {
	key string
	pc  *pconn
	at  time.Time // pc.idleAt when put: a connection taken and put back again has a newer entry
}

// maxPooledPerServer bounds the idle connections kept for one server (scheme, host, port and TLS
// settings): instances that share a host each leave one.
const maxPooledPerServer = 4

// NewConnPool returns an empty pool.
func NewConnPool() *ConnPool {
	return &ConnPool{idle: map[string][]*pconn{}, now: time.Now}
}

// put keeps pc for the next run. It reports false when the pool has no room; the caller then
// closes pc.
func (p *ConnPool) put(key string, pc *pconn) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	expired := p.expireLocked(p.now())
	ok := len(p.idle[key]) < maxPooledPerServer
	if ok {
		p.idle[key] = append(p.idle[key], pc)
		p.order = append(p.order, pooledConn{key: key, pc: pc, at: pc.idleAt})
	}
	p.mu.Unlock()
	closeAll(expired)
	return ok
}

// take returns the most recently kept connection for key that is still fresh, or nil.
func (p *ConnPool) take(key string) *pconn {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := p.now()
	expired := p.expireLocked(now)
	var pc *pconn
	if list := p.idle[key]; len(list) > 0 && now.Sub(list[len(list)-1].idleAt) < maxIdle {
		pc = list[len(list)-1]
		list[len(list)-1] = nil
		if len(list) == 1 {
			delete(p.idle, key)
		} else {
			p.idle[key] = list[:len(list)-1]
		}
	}
	p.mu.Unlock()
	closeAll(expired)
	if pc != nil {
		p.taken.Add(1)
	} else {
		p.missed.Add(1)
	}
	return pc
}

// HandOvers counts the requests that looked for a connection an earlier run left: taken found
// one, missed opened their own. Few taken on a fleet of healthy instances means something between
// vigia and SEI closes idle connections within 2 s.
func (p *ConnPool) HandOvers() (taken, missed int64) {
	if p == nil {
		return 0, 0
	}
	return p.taken.Load(), p.missed.Load()
}

// expireLocked removes the connections idle for maxIdle or longer and returns them to be closed
// outside the lock.
func (p *ConnPool) expireLocked(now time.Time) []*pconn {
	var out []*pconn
	n := 0
	for _, e := range p.order {
		if now.Sub(e.at) < maxIdle {
			break
		}
		n++
		if !e.pc.idleAt.Equal(e.at) {
			continue // taken since, and put back under a newer entry (or in use)
		}
		list := p.idle[e.key]
		for i, pc := range list {
			if pc != e.pc {
				continue
			}
			out = append(out, pc)
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(p.idle, e.key)
			} else {
				p.idle[e.key] = list
			}
			break
		}
	}
	if n > 0 {
		clear(p.order[:n])
		p.order = p.order[n:]
	}
	return out
}

// Idle is the number of connections waiting for a run.
func (p *ConnPool) Idle() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.idle {
		n += len(l)
	}
	return n
}

// Close closes every idle connection. The pool stays usable.
func (p *ConnPool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	var all []*pconn
	for _, l := range p.idle {
		all = append(all, l...)
	}
	p.idle = map[string][]*pconn{}
	p.order = nil
	p.mu.Unlock()
	closeAll(all)
}

func closeAll(pcs []*pconn) {
	for _, pc := range pcs {
		pc.discard()
	}
}
