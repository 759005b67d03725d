package seisim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"sync"
	"time"
)

// session is the server-side state behind one PHPSESSID. A session is stored only once it has
// state (a failed login, a pending SIP login, a logged-in SEI session): the login page sends a
// fresh PHPSESSID like PHP's session_start, but a health probe that never posts costs nothing.
type session struct {
	id       string
	lastUsed time.Time
	failures int // SIP_NUM_FALHA_LOGIN

	// Logged-in SEI session.
	loggedIn bool
	user     int      // index into Instance.Users
	uaHash   [64]byte // SHA-512('#'.UA.'#'), Infra's gerarHashAgente
	secret   [16]byte // hashInterno: infra_hash = SHA-256(params . secret)
	secretHx string
}

// pendingLogin is what SIP hands to SEI between the login POST and inicializar.php
// (id_login/id_usuario/id_sistema plus the agent hash SIP validated the login with).
type pendingLogin struct {
	user    int
	uaHash  [64]byte
	created time.Time
}

// sessionStore keeps one instance's sessions, bounded so 10,000 instances stay small.
type sessionStore struct {
	mu      sync.Mutex
	m       map[string]*session
	pending map[string]pendingLogin
}

const (
	maxSessions     = 32
	sessionIdleTTL  = 15 * time.Minute
	pendingLoginTTL = 2 * time.Minute
	maxPending      = 32
)

func (st *sessionStore) get(id string, now time.Time) *session {
	if id == "" {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[id]
	if s == nil {
		return nil
	}
	if now.Sub(s.lastUsed) > sessionIdleTTL {
		delete(st.m, id)
		return nil
	}
	s.lastUsed = now
	return s
}

// put stores s, evicting expired sessions, then the least recently used, when full.
func (st *sessionStore) put(s *session, now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m == nil {
		st.m = make(map[string]*session, 4)
	}
	s.lastUsed = now
	if _, ok := st.m[s.id]; !ok && len(st.m) >= maxSessions {
		var oldest *session
		for id, o := range st.m {
			if now.Sub(o.lastUsed) > sessionIdleTTL {
				delete(st.m, id)
				continue
			}
			if oldest == nil || o.lastUsed.Before(oldest.lastUsed) {
				oldest = o
			}
		}
		if len(st.m) >= maxSessions && oldest != nil {
			delete(st.m, oldest.id)
		}
	}
	st.m[s.id] = s
}

func (st *sessionStore) del(id string) {
	st.mu.Lock()
	delete(st.m, id)
	st.mu.Unlock()
}

// failures returns SIP_NUM_FALHA_LOGIN of a session (0 when it has none).
func (st *sessionStore) failures(id string, now time.Time) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := st.m[id]; s != nil && now.Sub(s.lastUsed) <= sessionIdleTTL {
		return s.failures
	}
	return 0
}

// addFailure counts a failed login in the session, creating it if needed, and returns the count.
func (st *sessionStore) addFailure(id string, now time.Time) int {
	st.mu.Lock()
	s := st.m[id]
	if s != nil && now.Sub(s.lastUsed) > sessionIdleTTL {
		delete(st.m, id)
		s = nil
	}
	st.mu.Unlock()
	if s == nil {
		s = &session{id: id}
		st.put(s, now)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s.failures++
	s.lastUsed = now
	return s.failures
}

func (st *sessionStore) addPending(id string, p pendingLogin) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending == nil {
		st.pending = make(map[string]pendingLogin, 2)
	}
	if len(st.pending) >= maxPending {
		for k, v := range st.pending {
			if p.created.Sub(v.created) > pendingLoginTTL || len(st.pending) >= maxPending {
				delete(st.pending, k)
			}
		}
	}
	st.pending[id] = p
}

// takePending removes and returns a pending login; it is single use, like SIP's id_login.
func (st *sessionStore) takePending(id string, now time.Time) (pendingLogin, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.pending[id]
	if ok {
		delete(st.pending, id)
		if now.Sub(p.created) > pendingLoginTTL {
			return pendingLogin{}, false
		}
	}
	return p, ok
}

func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}

// newSessionID returns a PHP-style session id: 26 characters of [0-9a-v] (5 bits each).
func newSessionID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var raw [26]byte
	_, _ = rand.Read(raw[:])
	for i := range raw {
		raw[i] = alphabet[raw[i]&31]
	}
	return string(raw[:])
}

// agentHash is Infra's gerarHashAgente: SHA-512('#'.HTTP_USER_AGENT.'#').
func agentHash(ua string) [64]byte {
	return sha512.Sum512([]byte("#" + ua + "#"))
}

func newSecret() ([16]byte, string) {
	var s [16]byte
	_, _ = rand.Read(s[:])
	return s, hex.EncodeToString(s[:])
}

// linkHash is Infra's gerarHashExterno: hash('SHA256', params . hashInterno), hex encoded.
func linkHash(params, secretHex string) string {
	h := sha256.New()
	h.Write([]byte(params))
	h.Write([]byte(secretHex))
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
