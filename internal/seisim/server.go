package seisim

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Options tune behaviour that tests need to change.
type Options struct {
	// WSSEIAuthDelay is how long mod-wssei's POST /autenticar sleeps before answering. Real SEI
	// sleeps 3 s (DefaultWSSEIAuthDelay, the cmd/seisim default); zero means no delay, which is
	// what tests want.
	WSSEIAuthDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultWSSEIAuthDelay is the sleep of real mod-wssei's /autenticar.
const DefaultWSSEIAuthDelay = 3 * time.Second

// Server serves every instance of a fleet.
type Server struct {
	opts  Options
	mu    sync.RWMutex
	insts map[string]*instance
	order []*instance
	t     *templates
	bufs  bufPool
}

// ErrUnknownInstance is returned for an instance name the fleet does not have.
var ErrUnknownInstance = errors.New("seisim: unknown instance")

// New builds a server for the fleet. Instances are normalised (defaults filled in); per-instance
// pages are rendered lazily on first use.
func New(f Fleet, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WSSEIAuthDelay < 0 {
		opts.WSSEIAuthDelay = 0
	}
	s := &Server{opts: opts, insts: make(map[string]*instance, len(f.Instances)), t: newTemplates()}
	for i := range f.Instances {
		in := newInstance(s, f.Instances[i], f.Seed, i)
		s.insts[in.name] = in
		s.order = append(s.order, in)
	}
	return s
}

// Instance returns a copy of the named instance's current configuration.
func (s *Server) Instance(name string) (*Instance, bool) {
	in, ok := s.lookup(name)
	if !ok {
		return nil, false
	}
	c := in.config()
	return &c, true
}

// SetFaults replaces an instance's faults at run time.
func (s *Server) SetFaults(name string, f Faults) error {
	in, ok := s.lookup(name)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownInstance, name)
	}
	in.setFaults(f)
	return nil
}

// SetSEIVersion changes the SEI version an instance reports everywhere (pages and APIs), as after
// an upgrade. Its Infra and SIP versions are left as they are.
func (s *Server) SetSEIVersion(name, version string) error {
	in, ok := s.lookup(name)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownInstance, name)
	}
	if version == "" {
		return fmt.Errorf("seisim: empty SEI version for %q", name)
	}
	in.setSEIVersion(version)
	return nil
}

func (s *Server) lookup(name string) (*instance, bool) {
	s.mu.RLock()
	in, ok := s.insts[name]
	s.mu.RUnlock()
	return in, ok
}

// Handler routes by path prefix "/<name>/sei/..." and "/<name>/sip/...", or by Host header
// "<name>.<anything>" (then paths are "/sei/...", "/sip/...").
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// InstanceHandler serves one instance at the root ("/sei/...", "/sip/..."), for per-instance ports.
func (s *Server) InstanceHandler(name string) (http.Handler, error) {
	in, ok := s.lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownInstance, name)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.serve(w, r, "", r.URL.Path)
	}), nil
}

// Names lists the fleet's instance names in fleet order.
func (s *Server) Names() []string {
	out := make([]string, len(s.order))
	for i, in := range s.order {
		out[i] = in.name
	}
	return out
}
