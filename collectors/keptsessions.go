package collectors

import (
	"context"
	"sync"
	"time"

	"github.com/vigia-sei/vigia/collectors/sei"
)

// keptSessionIdle bounds the pause between two runs that share a session: PHP drops a session
// after session.gc_maxlifetime (24 minutes by default), and a session idle longer than this is
// logged out rather than tried.
const keptSessionIdle = 10 * time.Minute

// KeptSessions holds, per instance, the SIP session the modules probe keeps between its runs: one
// login per instance and hour instead of one per run, which SIP's login table and the instance's
// audit notice as much as vigia's CPU does (a login is 5 of the modules run's 10 requests). The
// synthetic probe still logs in and out every run: it is the check that a user can log in.
//
// The store outlives config reloads (the daemon owns it) and Logout ends the sessions at shutdown
// and of instances that leave the fleet. A nil *KeptSessions keeps nothing. Safe for concurrent use.
type KeptSessions struct {
	mu sync.Mutex
	m  map[string]keptSession
}

// keptSession is a kept login and what it may only be resumed with: the same client (SEI binds
// a session to the User-Agent), URL and account.
type keptSession struct {
	sei.KeptLogin
	client   *sei.Client
	url      string
	user     string
	since    time.Time // the login
	lastUsed time.Time
}

// NewKeptSessions returns an empty store.
func NewKeptSessions() *KeptSessions { return &KeptSessions{m: map[string]keptSession{}} }

// take removes and returns the instance's kept session: a run has it to itself.
func (k *KeptSessions) take(instance string) (keptSession, bool) {
	if k == nil {
		return keptSession{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	ks, ok := k.m[instance]
	delete(k.m, instance)
	return ks, ok
}

// put keeps the instance's session for its next run. A session already there (a concurrent
// one-shot run of the same instance) is returned so the caller logs it out.
func (k *KeptSessions) put(instance string, ks keptSession) (displaced keptSession, ok bool) {
	if k == nil {
		return keptSession{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	displaced, ok = k.m[instance]
	k.m[instance] = ks
	return displaced, ok
}

// Len is the number of sessions kept (the vigia_kept_sessions gauge).
func (k *KeptSessions) Len() int {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

// Logout takes the kept sessions of instances (nil: every kept session) out of the store and logs
// them out, at most concurrency at a time, until ctx ends. It returns how many logouts SEI
// answered; sessions it could not end expire on the server.
func (k *KeptSessions) Logout(ctx context.Context, instances []string, concurrency int) int {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	var all map[string]keptSession
	if instances == nil {
		all, k.m = k.m, map[string]keptSession{}
	} else {
		all = make(map[string]keptSession, len(instances))
		for _, name := range instances {
			if ks, ok := k.m[name]; ok {
				all[name] = ks
				delete(k.m, name)
			}
		}
	}
	k.mu.Unlock()
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for _, ks := range all {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return done
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if ks.logout(ctx) {
				mu.Lock()
				done++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return done
}

// logout ends the kept session at SEI (sair) and reports whether SEI answered.
func (ks keptSession) logout(ctx context.Context) bool {
	s := ks.client.NewSession()
	defer s.Close()
	_, err := sei.ResumeLogout(ctx, s, ks.KeptLogin)
	return err == nil
}
