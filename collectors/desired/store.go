package desired

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// Defaults for Options.
const (
	DefaultInterval = 2 * time.Minute
	DefaultRef      = "main"
	DefaultFiles    = "instances/*/values.yaml"
)

// Options configure a Store. Exactly one of URL and Path is set.
type Options struct {
	// URL of a remote repository (https, http, ssh, scp-like git@host:path, file). Credentials in an
	// https URL are moved into Auth so they never reach a log line or an error.
	URL string
	// Path of a local directory (plain or a git work tree), read as is on each refresh.
	Path string
	// Ref is a branch or tag (or a full refs/... name). Default "main", falling back to "master"
	// when the repository has no main branch.
	Ref      string
	Interval time.Duration // default 2m
	// Files is a glob of values files relative to the repository root; "**" matches any number of
	// directories. Default "instances/*/values.yaml".
	Files  string
	Fields Fields
	Auth   Auth
	// CacheDir is where the clone of URL lives (in a subdirectory per URL), reused across restarts;
	// one process per CacheDir. Default: a temporary directory under
	// os.UserCacheDir()/vigia/desired, removed when Run returns.
	CacheDir string
	// Latest is the fleet-wide latest version per component, from config.
	Latest Versions
}

// Auth for the remote repository.
type Auth struct {
	// Username and Password for https; Password may be an access token (Username then defaults
	// to "git", which GitHub, GitLab and Gitea accept with a token).
	Username string
	Password probe.Secret
	// SSHKeyFile is a private key for ssh URLs; without one the SSH agent is used.
	SSHKeyFile       string
	SSHKeyPassphrase probe.Secret
	// SSHKnownHosts is a known_hosts file to verify the server with. Default: $SSH_KNOWN_HOSTS or
	// ~/.ssh/known_hosts.
	SSHKnownHosts string
}

// Store holds the desired state and keeps it in step with the repository.
type Store struct {
	log      *slog.Logger
	src      snapshotSource
	glob     glob
	fields   Fields
	latest   Versions
	interval time.Duration
	m        *metrics

	cur atomic.Pointer[state]

	// Guarded by refreshMu: one refresh at a time.
	refreshMu  sync.Mutex
	contentErr error // the problem found in the content of the current revision, if any
	lastLogged string
	series     map[seriesKey]struct{}
}

type state struct {
	instances map[string]Versions
	files     map[string]string // values file path → instance it defined
	revision  string
}

// New validates opts and returns a Store with an empty state; call Run (or Refresh) to load it.
// Metrics are registered on reg when it is not nil.
func New(opts Options, reg prometheus.Registerer, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if (opts.URL == "") == (opts.Path == "") {
		return nil, errors.New("desired state: set exactly one of git url and path")
	}
	if opts.Interval < 0 {
		return nil, fmt.Errorf("desired state: interval %s is negative", opts.Interval)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Files == "" {
		opts.Files = DefaultFiles
	}
	g, err := compileGlob(opts.Files)
	if err != nil {
		return nil, fmt.Errorf("desired state: %w", err)
	}
	fields := opts.Fields.withDefaults()
	if err := fields.validate(); err != nil {
		return nil, fmt.Errorf("desired state: %w", err)
	}
	s := &Store{
		log:      log.With("component", "desired"),
		glob:     g,
		fields:   fields,
		latest:   opts.Latest.clone(),
		interval: opts.Interval,
		series:   map[seriesKey]struct{}{},
	}
	if opts.Path != "" {
		s.src = dirSource{root: opts.Path}
		s.log = s.log.With("path", opts.Path)
	} else {
		gs, err := newGitSource(opts)
		if err != nil {
			return nil, fmt.Errorf("desired state: %w", err)
		}
		s.src = gs
		s.log = s.log.With("url", gs.url, "ref", gs.ref)
	}
	if s.m, err = newMetrics(reg); err != nil {
		return nil, err
	}
	for k := range seriesOf(map[string]Versions{"": s.latest}) {
		s.m.latest.WithLabelValues(k.component, k.version).Set(1)
	}
	s.cur.Store(&state{instances: map[string]Versions{}, files: map[string]string{}})
	return s, nil
}

func newGitSource(opts Options) (*gitSource, error) {
	safe, auth, err := gitAuth(opts.URL, opts.Auth)
	if err != nil {
		return nil, err
	}
	ref := opts.Ref
	if ref == "" {
		ref = DefaultRef
	}
	return &gitSource{url: safe, auth: auth, root: opts.CacheDir, ref: ref, refIsAuto: ref == DefaultRef,
		maxPacks: defaultMaxPacks}, nil
}

// gitAuth returns the URL without secrets and the auth method for it.
func gitAuth(raw string, a Auth) (string, transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		return "", nil, fmt.Errorf("git url %s: %w", probe.SafeURL(raw), withoutURL(err))
	}
	switch ep.Protocol {
	case "http", "https":
		user, pass := a.Username, a.Password.Reveal()
		if user == "" && pass == "" {
			user, pass = ep.User, ep.Password
		}
		u, err := url.Parse(raw)
		if err != nil {
			return "", nil, fmt.Errorf("git url %s: %w", probe.SafeURL(raw), withoutURL(err))
		}
		u.User = nil
		safe := u.String()
		if pass == "" && user == "" {
			return safe, nil, nil
		}
		if user == "" {
			user = "git"
		}
		return safe, &githttp.BasicAuth{Username: user, Password: pass}, nil
	case "ssh":
		safe := raw
		if ep.Password != "" {
			ep.Password = ""
			safe = ep.String()
		}
		user := ep.User
		if user == "" {
			user = a.Username
		}
		if user == "" {
			user = "git"
		}
		if a.SSHKeyFile == "" {
			return safe, nil, nil // go-git falls back to the SSH agent
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, a.SSHKeyFile, a.SSHKeyPassphrase.Reveal())
		if err != nil {
			return "", nil, fmt.Errorf("git ssh key %s (check the file and its passphrase): %w", a.SSHKeyFile, err)
		}
		if a.SSHKnownHosts != "" {
			cb, err := gitssh.NewKnownHostsCallback(a.SSHKnownHosts)
			if err != nil {
				return "", nil, fmt.Errorf("git ssh known_hosts %s: %w", a.SSHKnownHosts, err)
			}
			keys.HostKeyCallback = cb
		}
		return safe, keys, nil
	}
	return raw, nil, nil
}

// withoutURL drops the URL a *url.Error repeats, which may hold credentials.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Run refreshes the state now and then every interval until ctx is done. Failures are logged and
// counted by Refresh; the last good state stays in place.
func (s *Store) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	// A hung fetch must not stop the loop forever, but a slow remote deserves more than a short
	// interval.
	timeout := max(s.interval, time.Minute)
	defer func() {
		s.refreshMu.Lock()
		defer s.refreshMu.Unlock()
		if err := s.src.close(); err != nil {
			s.log.Warn("desired state: releasing the repository cache", "error", err)
		}
	}()
	for {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		_ = s.Refresh(rctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads the repository once. On a repository error nothing changes. Invalid values files
// are skipped (the instances they described keep their last good versions) while the others load;
// the returned error (a *FilesError) lists them with file:line. Either way the refresh counts as
// failed in vigia_desired_refresh_success.
func (s *Store) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	start := time.Now()
	err := s.refresh(ctx)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return err // shutting down: not a repository problem
	}
	s.m.duration.Set(time.Since(start).Seconds())
	s.record(err)
	return err
}

func (s *Store) refresh(ctx context.Context) error {
	files, rev, unchanged, err := s.src.read(ctx, s.glob)
	if err != nil {
		return err
	}
	if unchanged {
		return s.contentErr
	}
	if len(files) == 0 {
		at := ""
		if rev != "" {
			at = " at " + shortRev(rev)
		}
		s.contentErr = fmt.Errorf("no values file matches %q%s: check desired.git.files; keeping the last good state", s.glob.String(), at)
		return s.contentErr
	}
	old := s.cur.Load()
	next := &state{instances: make(map[string]Versions, len(files)), files: make(map[string]string, len(files)), revision: rev}
	definedBy := make(map[string]string, len(files))
	var bad []*FileError
	var broken []string
	for _, f := range files {
		if f.err != nil {
			bad = append(bad, &FileError{Path: f.path, Msg: "unreadable: " + f.err.Error()})
			broken = append(broken, f.path)
			continue
		}
		name, v, err := parseValues(f.path, f.data, s.fields)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				fe = &FileError{Path: f.path, Msg: err.Error()}
			}
			bad = append(bad, fe)
			broken = append(broken, f.path)
			continue
		}
		if first, dup := definedBy[name]; dup {
			bad = append(bad, &FileError{Path: f.path, Msg: fmt.Sprintf("instance %q is already defined in %s; file skipped", name, first)})
			continue
		}
		definedBy[name] = f.path
		next.instances[name] = v
		next.files[f.path] = name
	}
	// A broken file must not make its instance vanish: drift would turn "unknown" fleet-wide on a
	// typo. Keep what the file said last time it was valid.
	for _, p := range broken {
		name, ok := old.files[p]
		if !ok {
			continue
		}
		if _, taken := next.instances[name]; taken {
			continue
		}
		next.instances[name] = old.instances[name]
		next.files[p] = name
	}
	s.cur.Store(next)
	s.updateSeries(next.instances)
	if changed := changedCount(old.instances, next.instances); old.revision != rev || changed > 0 {
		s.log.Info("desired state loaded", "revision", shortRev(rev), "instances", len(next.instances),
			"files", len(files), "invalid_files", len(bad), "changed", changed)
	}
	s.m.invalid.Set(float64(len(bad)))
	s.contentErr = nil
	if len(bad) > 0 {
		s.contentErr = &FilesError{Files: bad, Total: len(files)}
	}
	return s.contentErr
}

func (s *Store) updateSeries(instances map[string]Versions) {
	next := seriesOf(instances)
	for k := range s.series {
		if _, ok := next[k]; !ok {
			s.m.info.DeleteLabelValues(k.instance, k.component, k.version)
		}
	}
	for k := range next {
		if _, ok := s.series[k]; !ok {
			s.m.info.WithLabelValues(k.instance, k.component, k.version).Set(1)
		}
	}
	s.series = next
}

// record exports the outcome and logs it once per change of outcome, not once per interval.
func (s *Store) record(err error) {
	s.m.instances.Set(float64(len(s.cur.Load().instances)))
	if err == nil {
		s.m.success.Set(1)
		s.m.lastSuccess.SetToCurrentTime()
		if s.lastLogged != "" {
			s.log.Info("desired state refresh recovered", "revision", shortRev(s.Revision()))
			s.lastLogged = ""
		}
		return
	}
	s.m.success.Set(0)
	s.m.errors.Inc()
	msg := err.Error()
	if msg == s.lastLogged {
		return
	}
	s.lastLogged = msg
	var fe *FilesError
	if errors.As(err, &fe) {
		for _, f := range fe.Files {
			s.log.Warn("desired state: values file skipped", "file", f.Path, "line", f.Line, "error", f.Msg)
		}
		return
	}
	s.log.Warn("desired state refresh failed; keeping the last good state", "error", err,
		"revision", shortRev(s.Revision()), "instances", len(s.cur.Load().instances))
}

// Desired returns the desired versions of an instance. The result is a copy.
func (s *Store) Desired(instance string) (Versions, bool) {
	v, ok := s.cur.Load().instances[instance]
	if !ok {
		return Versions{}, false
	}
	return v.clone(), true
}

// Instances returns the names of the instances in the current state, sorted.
func (s *Store) Instances() []string {
	return slices.Sorted(maps.Keys(s.cur.Load().instances))
}

// Latest returns the fleet-wide latest versions from config. The result is a copy.
func (s *Store) Latest() Versions { return s.latest.clone() }

// Revision returns the commit of the current state: the fetched commit for a remote repository,
// HEAD for a local git work tree, "" for a plain directory or before the first good refresh.
func (s *Store) Revision() string { return s.cur.Load().revision }

// FilesError lists the values files a refresh skipped.
type FilesError struct {
	Files []*FileError
	Total int // files matched
}

func (e *FilesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d values files skipped: ", len(e.Files), e.Total)
	for i, f := range e.Files {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Files)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

func (e *FilesError) Unwrap() []error {
	out := make([]error, len(e.Files))
	for i, f := range e.Files {
		out[i] = f
	}
	return out
}

func changedCount(old, next map[string]Versions) int {
	n := 0
	for name, v := range next {
		if o, ok := old[name]; !ok || !o.equal(v) {
			n++
		}
	}
	for name := range old {
		if _, ok := next[name]; !ok {
			n++
		}
	}
	return n
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
