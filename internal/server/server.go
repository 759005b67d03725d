package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Options configure the server.
type Options struct {
	Gatherer prometheus.Gatherer
	// Text is served on /metrics after Gatherer's families and must not be registered on it
	// (collectors.ResultMetrics: the sei_* families). Optional.
	Text TextSource
	// Ready returns nil when vigia is ready to serve (config loaded, first schedule installed).
	Ready func() error
	// Reload re-reads the config; its error lists the problems.
	Reload func(ctx context.Context) error
	// Token guards write endpoints; empty means they are refused.
	Token  func() probe.Secret
	Logger *slog.Logger
	// Pprof mounts /debug/pprof/ (off by default: profiles reveal internals and cost CPU).
	Pprof bool
}

// Server is the HTTP surface.
type Server struct {
	mux  *http.ServeMux
	opts Options
	log  *slog.Logger
}

// New builds the server with its fixed endpoints.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{mux: http.NewServeMux(), opts: o, log: o.Logger}
	s.mux.Handle("GET /metrics", newMetricsHandler(o.Gatherer, o.Text, o.Logger))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("POST /-/reload", s.RequireToken(http.HandlerFunc(s.reload)))
	if o.Pprof {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return s
}

// Handle mounts a handler; patterns follow net/http.ServeMux.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the whole surface, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		http.Error(w, "reload not available", http.StatusNotImplemented)
		return
	}
	if err := s.opts.Reload(r.Context()); err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]any{"status": "error", "error": err.Error()})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"status": "success"})
}

// RequireToken lets a request through only with `Authorization: Bearer <token>`. Without a
// configured token the write API is off: a monitoring daemon must not be writable by anyone who can
// reach its port.
func (s *Server) RequireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok probe.Secret
		if s.opts.Token != nil {
			tok = s.opts.Token()
		}
		if tok == "" {
			WriteJSON(w, http.StatusForbidden, map[string]string{"status": "error",
				"error": "write API disabled: set server.api_token in the config to enable it"})
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok.Reveal())) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigia"`)
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"status": "error", "error": "missing or wrong bearer token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WriteJSON writes v with a status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Serve listens on addr until ctx ends, then shuts down gracefully. ready is closed once the
// listener is bound (tests use port 0).
func (s *Server) Serve(ctx context.Context, addr string, bound func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if bound != nil {
		bound(ln.Addr())
	}
	hs := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		return err
	}
}
