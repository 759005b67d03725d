package alerting

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/vigia-sei/vigia/config"
)

// DefaultTimeZone is where cron maintenance windows are read when nothing else is said.
const DefaultTimeZone = "America/Sao_Paulo"

// Silence sources.
const (
	SilenceFromConfig = "config"
	SilenceFromAPI    = "api"
)

// Silence states, computed when silences are listed.
const (
	SilenceActive  = "active"
	SilencePending = "pending" // starts later
	SilenceWaiting = "waiting" // recurring, between two windows
	SilenceExpired = "expired"
)

// Errors of the silence API.
var (
	ErrSilenceNotFound  = errors.New("silence not found")
	ErrSilenceInConfig  = errors.New("silence is defined in the config file: remove it there and reload")
	ErrInvalidSilence   = errors.New("invalid silence")
	errSilenceNoMatcher = fmt.Errorf("%w: needs match or match_re (a silence without matchers would mute everything)", ErrInvalidSilence)
)

// Silence mutes the notifications of matching alerts during a fixed window or a recurring one
// (a cron spec for each window's start plus a duration). Silenced alerts are still evaluated and
// shown, just not sent.
type Silence struct {
	ID      string            `json:"id"`
	Match   map[string]string `json:"match,omitempty"`
	MatchRE map[string]string `json:"match_re,omitempty"`
	// StartsAt/EndsAt bound the silence; for a recurring silence they are optional and bound the
	// recurrence (expiring one sets EndsAt).
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	Cron     string    `json:"cron,omitempty"`
	// Duration of each recurring window; JSON carries it as text ("2h").
	Duration  time.Duration `json:"-"`
	TimeZone  string        `json:"time_zone,omitempty"`
	Comment   string        `json:"comment"`
	CreatedBy string        `json:"created_by,omitempty"`
	CreatedAt time.Time     `json:"created_at,omitzero"`
	Source    string        `json:"source"`
	// State and NextWindow are computed when listing; they are ignored on input.
	State      string     `json:"state,omitempty"`
	NextWindow *time.Time `json:"next_window,omitempty"`
}

type silenceJSON Silence

// MarshalJSON writes Duration as text.
func (s Silence) MarshalJSON() ([]byte, error) {
	var d string
	if s.Duration > 0 {
		d = s.Duration.String()
	}
	return json.Marshal(struct {
		silenceJSON
		Duration string `json:"duration,omitempty"`
	}{silenceJSON(s), d})
}

// UnmarshalJSON reads Duration as text ("2h") or as nanoseconds.
func (s *Silence) UnmarshalJSON(b []byte) error {
	var aux struct {
		*silenceJSON
		Duration json.RawMessage `json:"duration,omitempty"`
	}
	aux.silenceJSON = (*silenceJSON)(s)
	// Strict, so that a misspelt field in an API request is an error and not a silence that
	// mutes more than meant.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return err
	}
	s.Duration = 0
	if len(aux.Duration) == 0 || string(aux.Duration) == "null" {
		return nil
	}
	var text string
	if err := json.Unmarshal(aux.Duration, &text); err == nil {
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("duration %q: use a number with a unit, like 2h or 30m", text)
		}
		s.Duration = d
		return nil
	}
	var n int64
	if err := json.Unmarshal(aux.Duration, &n); err != nil {
		return fmt.Errorf("duration must be text like \"2h\"")
	}
	s.Duration = time.Duration(n)
	return nil
}

// compiledSilence is a Silence ready to match.
type compiledSilence struct {
	Silence
	m     matchers
	sched cron.Schedule
	loc   *time.Location
}

// compileSilence checks and compiles a silence. defaultTZ fills an empty time zone.
func compileSilence(s Silence, defaultTZ string) (*compiledSilence, error) {
	if len(s.Match) == 0 && len(s.MatchRE) == 0 {
		return nil, errSilenceNoMatcher
	}
	m, err := compileMatchers(s.Match, s.MatchRE)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSilence, err)
	}
	if s.TimeZone == "" {
		s.TimeZone = defaultTZ
	}
	if s.TimeZone == "" {
		s.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("%w: unknown time zone %q: use an IANA name like America/Sao_Paulo", ErrInvalidSilence, s.TimeZone)
	}
	c := &compiledSilence{Silence: s, m: m, loc: loc}
	if s.Cron != "" {
		sched, err := cron.ParseStandard(s.Cron)
		if err != nil {
			return nil, fmt.Errorf("%w: cron spec %q: %v", ErrInvalidSilence, s.Cron, err)
		}
		if s.Duration <= 0 {
			return nil, fmt.Errorf("%w: a recurring silence needs a positive duration, like 2h", ErrInvalidSilence)
		}
		c.sched = sched
	} else if s.EndsAt.IsZero() {
		return nil, fmt.Errorf("%w: needs ends_at (a fixed window) or cron and duration (a recurring one)", ErrInvalidSilence)
	}
	if !s.StartsAt.IsZero() && !s.EndsAt.IsZero() && s.EndsAt.Before(s.StartsAt) {
		return nil, fmt.Errorf("%w: ends_at is before starts_at", ErrInvalidSilence)
	}
	return c, nil
}

// active reports whether the silence mutes at t.
func (c *compiledSilence) active(t time.Time) bool {
	if !c.StartsAt.IsZero() && t.Before(c.StartsAt) {
		return false
	}
	if !c.EndsAt.IsZero() && !t.Before(c.EndsAt) {
		return false
	}
	if c.sched == nil {
		return true
	}
	// The window that could contain t started after t-Duration; Next finds the first start
	// strictly after that instant, and t is inside the window if that start is not after t.
	lt := t.In(c.loc)
	start := c.sched.Next(lt.Add(-c.Duration))
	return !start.After(lt)
}

// view fills State and NextWindow for listing.
func (c *compiledSilence) view(now time.Time) Silence {
	s := c.Silence
	switch {
	case !s.EndsAt.IsZero() && !now.Before(s.EndsAt):
		s.State = SilenceExpired
	case !s.StartsAt.IsZero() && now.Before(s.StartsAt) && c.sched == nil:
		s.State = SilencePending
	case c.active(now):
		s.State = SilenceActive
	case c.sched != nil:
		s.State = SilenceWaiting
	default:
		s.State = SilencePending
	}
	if c.sched != nil && s.State != SilenceExpired {
		from := now
		if !s.StartsAt.IsZero() && s.StartsAt.After(from) {
			from = s.StartsAt.Add(-time.Second)
		}
		next := c.sched.Next(from.In(c.loc))
		if s.EndsAt.IsZero() || next.Before(s.EndsAt) {
			s.NextWindow = &next
		}
	}
	return s
}

// silences holds config and API silences.
type silences struct {
	mu        sync.RWMutex
	defaultTZ string
	byID      map[string]*compiledSilence
}

func newSilences(defaultTZ string) *silences {
	return &silences{defaultTZ: defaultTZ, byID: map[string]*compiledSilence{}}
}

// configSilenceID names a config silence by its content, so it is stable across restarts.
func configSilenceID(s config.Silence) string {
	b, _ := json.Marshal(s)
	h := sha256.Sum256(b)
	return "cfg-" + hex.EncodeToString(h[:6])
}

// FromConfigSilence converts a config silence.
func FromConfigSilence(c config.Silence) Silence {
	s := Silence{
		ID: configSilenceID(c), Match: c.Match, MatchRE: c.MatchRE, Cron: c.Cron, Duration: c.Duration,
		TimeZone: c.TimeZone, Comment: c.Comment, Source: SilenceFromConfig,
	}
	if c.StartsAt != nil {
		s.StartsAt = *c.StartsAt
	}
	if c.EndsAt != nil {
		s.EndsAt = *c.EndsAt
	}
	return s
}

// setConfig replaces the config silences, keeping API ones.
// defaultTZ becomes the time zone of silences that name none.
func (ss *silences) setConfig(list []config.Silence, defaultTZ string) error {
	compiled := make([]*compiledSilence, 0, len(list))
	for i, c := range list {
		cs, err := compileSilence(FromConfigSilence(c), defaultTZ)
		if err != nil {
			return fmt.Errorf("silences[%d]: %w", i, err)
		}
		compiled = append(compiled, cs)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.defaultTZ = defaultTZ
	for id, s := range ss.byID {
		if s.Source == SilenceFromConfig {
			delete(ss.byID, id)
		}
	}
	for _, c := range compiled {
		ss.byID[c.ID] = c
	}
	return nil
}

func newSilenceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// add validates and stores an API silence, returning the stored form.
func (ss *silences) add(s Silence, now time.Time) (*compiledSilence, error) {
	s.ID = newSilenceID()
	s.Source = SilenceFromAPI
	s.CreatedAt = now
	s.State, s.NextWindow = "", nil
	if strings.TrimSpace(s.Comment) == "" {
		return nil, fmt.Errorf("%w: comment is required: say why (a ticket, the maintenance)", ErrInvalidSilence)
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if s.Cron == "" && !s.EndsAt.IsZero() && !s.EndsAt.After(now) {
		return nil, fmt.Errorf("%w: ends_at is in the past", ErrInvalidSilence)
	}
	c, err := compileSilence(s, ss.defaultTZ)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	ss.byID[c.ID] = c
	ss.mu.Unlock()
	return c, nil
}

// restore puts back a persisted API silence.
func (ss *silences) restore(s Silence) error {
	c, err := compileSilence(s, ss.defaultTZ)
	if err != nil {
		return err
	}
	ss.mu.Lock()
	ss.byID[c.ID] = c
	ss.mu.Unlock()
	return nil
}

// expire ends an API silence now and returns its new form.
func (ss *silences) expire(id string, now time.Time) (*compiledSilence, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	c, ok := ss.byID[id]
	if !ok {
		return nil, ErrSilenceNotFound
	}
	if c.Source == SilenceFromConfig {
		return nil, ErrSilenceInConfig
	}
	if !c.EndsAt.IsZero() && !now.Before(c.EndsAt) {
		return c, nil
	}
	n := *c
	n.EndsAt = now
	if !n.StartsAt.IsZero() && n.StartsAt.After(now) {
		n.StartsAt = now
	}
	ss.byID[id] = &n
	return &n, nil
}

// gc forgets API silences that expired before cutoff and returns their ids.
func (ss *silences) gc(cutoff time.Time) []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []string
	for id, c := range ss.byID {
		if c.Source == SilenceFromAPI && !c.EndsAt.IsZero() && c.EndsAt.Before(cutoff) {
			delete(ss.byID, id)
			out = append(out, id)
		}
	}
	return out
}

// activeAt returns the silences muting at t.
func (ss *silences) activeAt(t time.Time) []*compiledSilence {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	var out []*compiledSilence
	for _, c := range ss.byID {
		if c.active(t) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (ss *silences) get(id string, now time.Time) (Silence, bool) {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	c, ok := ss.byID[id]
	if !ok {
		return Silence{}, false
	}
	return c.view(now), true
}

func (ss *silences) list(now time.Time) []Silence {
	ss.mu.RLock()
	out := make([]Silence, 0, len(ss.byID))
	for _, c := range ss.byID {
		out = append(out, c.view(now))
	}
	ss.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source > out[j].Source // config first
		}
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// silencedBy returns the ids of active silences matching the labels.
func silencedBy(active []*compiledSilence, l map[string]string) []string {
	var ids []string
	for _, c := range active {
		if c.m.matches(l) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
