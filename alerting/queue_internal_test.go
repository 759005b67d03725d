package alerting

import (
	"testing"
	"time"
)

func TestReceiverQueue(t *testing.T) {
	q := newReceiverQueue("r", nil, 2)
	j := func(gid string, n int) *job { return &job{gid: gid, firingIDs: make([]string, n)} }
	tests := []struct {
		name        string
		push        *job
		wantDropped bool
		wantOrder   string // gid:len(firingIDs) popped in order, checked at the end
	}{
		{"first", j("a", 1), false, ""},
		{"second", j("b", 1), false, ""},
		{"an update of a queued group replaces it in place", j("a", 2), false, ""},
		{"full: the oldest group update is dropped", j("c", 1), true, ""},
	}
	for _, tt := range tests {
		if got := q.push(tt.push); got != tt.wantDropped {
			t.Errorf("%s: dropped = %v, want %v", tt.name, got, tt.wantDropped)
		}
	}
	if d := q.depth(); d != 2 {
		t.Fatalf("depth %d, want 2", d)
	}
	var got []string
	for x := q.pop(); x != nil; x = q.pop() {
		got = append(got, x.gid)
	}
	if len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("popped %v, want [b c] (a was the oldest and was dropped)", got)
	}
	if q.idle() {
		t.Error("a queue whose last job was popped is busy until the worker says otherwise")
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{10, 30 * time.Second, time.Minute}, // capped
	}
	for _, tt := range tests {
		for i := 0; i < 50; i++ {
			if d := backoff(time.Second, time.Minute, tt.attempt); d < tt.min || d > tt.max {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", tt.attempt, d, tt.min, tt.max)
			}
		}
	}
}

func TestSilenceWindow(t *testing.T) {
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	c, err := compileSilence(Silence{Match: map[string]string{"a": "b"}, Cron: "0 2 * * SUN", Duration: 2 * time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	sunday2am := time.Date(2026, 3, 8, 2, 0, 0, 0, sp)
	tests := []struct {
		at   time.Time
		want bool
	}{
		{sunday2am.Add(-time.Second), false},
		{sunday2am, true},
		{sunday2am.Add(2*time.Hour - time.Second), true},
		{sunday2am.Add(2 * time.Hour), false},
		{sunday2am.UTC().Add(time.Hour), true}, // the instant matters, not the zone it is written in
		{sunday2am.Add(24 * time.Hour), false},
	}
	for _, tt := range tests {
		if got := c.active(tt.at); got != tt.want {
			t.Errorf("active(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}
