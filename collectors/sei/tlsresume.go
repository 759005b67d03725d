package sei

import (
	"crypto/tls"
)

// TLSSessions remembers one TLS session per server so that a later run resumes it, as a browser
// does, instead of a full handshake with certificate verification: over HTTPS the full handshake
// is the largest CPU cost of a run. Probers that check the certificate itself (health) do not use
// it. Each entry holds the server's certificate chain: about 6 KB for a server with its own
// RSA-2048 certificate (BenchmarkTLSSessionsMemory). Safe for concurrent use.
type TLSSessions struct {
	cache    tls.ClientSessionCache
	capacity int
}

// NewTLSSessions returns a cache of up to capacity servers, least recently used first out: one
// smaller than the fleet it cycles through never hits.
func NewTLSSessions(capacity int) *TLSSessions {
	return &TLSSessions{cache: tls.NewLRUClientSessionCache(capacity), capacity: capacity}
}

// Capacity is how many servers the cache holds; 0 for a nil cache (resumption off).
func (t *TLSSessions) Capacity() int {
	if t == nil {
		return 0
	}
	return t.capacity
}

// forPort is the cache one connection uses. crypto/tls keys sessions by server name alone, so
// instances on one host name and different ports would overwrite each other's sessions.
func (t *TLSSessions) forPort(port string) tls.ClientSessionCache {
	return portSessions{t.cache, port}
}

type portSessions struct {
	c    tls.ClientSessionCache
	port string
}

func (p portSessions) Get(key string) (*tls.ClientSessionState, bool) {
	return p.c.Get(key + "|" + p.port)
}
func (p portSessions) Put(key string, cs *tls.ClientSessionState) { p.c.Put(key+"|"+p.port, cs) }
