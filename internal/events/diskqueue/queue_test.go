package diskqueue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, dir string, o Options) *Queue {
	t.Helper()
	if o.SyncInterval == 0 {
		o.SyncInterval = -1
	}
	q, err := Open(dir, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

func appendN(t *testing.T, q *Queue, class Class, prefix string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := q.Append(class, time.Unix(int64(i), 0), []byte(fmt.Sprintf("%s-%05d", prefix, i))); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// drain reads everything left, committing as it goes, and returns the payloads in order.
func drain(t *testing.T, q *Queue) []string {
	t.Helper()
	var out []string
	var recs []Record
	var buf []byte
	for {
		var err error
		recs, buf, err = q.Next(recs[:0], buf[:0], 4096)
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			out = append(out, string(r.Data))
		}
		if err := q.Commit(recs[len(recs)-1].End); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
}

func TestRestartResumesAtCommitAndReplaysUncommitted(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(dir, Options{SegmentBytes: 256, SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, q, Droppable, "a", 0, 50)
	recs, _, err := q.Next(nil, nil, 200)
	if err != nil || len(recs) == 0 {
		t.Fatalf("next: %d records, %v", len(recs), err)
	}
	committed := len(recs)
	if err := q.Commit(recs[committed-1].End); err != nil {
		t.Fatal(err)
	}
	// Read more without committing: these must come back after the restart.
	if more, _, _ := q.Next(nil, nil, 200); len(more) == 0 {
		t.Fatal("nothing read past the commit")
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q = open(t, dir, Options{SegmentBytes: 256})
	got := drain(t, q)
	if len(got) != 50-committed || got[0] != fmt.Sprintf("a-%05d", committed) || got[len(got)-1] != "a-00049" {
		t.Fatalf("after restart got %d records starting %q, want %d starting a-%05d", len(got), first(got), 50-committed, committed)
	}
	if st := q.Stats(); st.Records != 0 || st.Bytes != 0 || st.Segments != 1 {
		t.Errorf("drained queue stats: %+v", st)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(files) != 1 {
		t.Errorf("consumed segments not removed: %v", files)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestRewindRereadsUncommitted(t *testing.T) {
	q := open(t, t.TempDir(), Options{SegmentBytes: 128})
	appendN(t, q, Droppable, "r", 0, 20)
	a, _, _ := q.Next(nil, nil, 1<<20)
	if len(a) != 20 {
		t.Fatalf("read %d of 20", len(a))
	}
	if err := q.Commit(a[4].End); err != nil {
		t.Fatal(err)
	}
	q.Rewind()
	got := drain(t, q)
	if len(got) != 15 || got[0] != "r-00005" {
		t.Fatalf("after rewind got %d records from %q, want 15 from r-00005", len(got), first(got))
	}
}

func TestFullQueueDropsOldestProbeEventsAndKeepsAlerts(t *testing.T) {
	const limit = 4096
	q := open(t, t.TempDir(), Options{MaxBytes: limit, SegmentBytes: 512})
	// 25-byte records (17 header + 8 data); alerts sprinkled among probe events.
	for i := 0; i < 2000; i++ {
		class, prefix := Droppable, "p"
		if i%100 == 0 {
			class, prefix = Keep, "k"
		}
		err := q.Append(class, time.Unix(int64(i), 0), []byte(fmt.Sprintf("%s-%06d", prefix, i)))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if st := q.Stats(); st.Bytes > limit+512 {
			t.Fatalf("queue at %d bytes, limit %d", st.Bytes, limit)
		}
	}
	st := q.Stats()
	got := drain(t, q)
	var keeps, probes []string
	for _, g := range got {
		if strings.HasPrefix(g, "k-") {
			keeps = append(keeps, g)
		} else {
			probes = append(probes, g)
		}
	}
	if len(keeps) != 20 {
		t.Errorf("alert records: got %d, want all 20: %v", len(keeps), keeps)
	}
	if int64(len(probes))+st.DroppedFull != 1980 {
		t.Errorf("probe records kept %d + dropped %d != 1980 appended", len(probes), st.DroppedFull)
	}
	if st.DroppedFull == 0 || len(probes) == 0 {
		t.Fatalf("expected some drops and some survivors: kept %d dropped %d", len(probes), st.DroppedFull)
	}
	// Oldest go first: the survivors are the newest, contiguous, ending with the last appended.
	if probes[len(probes)-1] != "p-001999" {
		t.Errorf("newest probe event lost: last is %s", probes[len(probes)-1])
	}
	for i := 1; i < len(probes); i++ {
		if probes[i] <= probes[i-1] {
			t.Fatalf("survivors out of order at %d: %s after %s", i, probes[i], probes[i-1])
		}
	}
}

func TestOnlyAlertsLeftRejectsProbeEventsButNeverAlerts(t *testing.T) {
	q := open(t, t.TempDir(), Options{MaxBytes: 300, SegmentBytes: 100})
	appendN(t, q, Keep, "k", 0, 20) // 20 x 24 bytes, well over the limit
	if err := q.Append(Droppable, time.Now(), []byte("p")); !errors.Is(err, ErrFull) {
		t.Fatalf("probe event into a queue full of alerts: got %v, want ErrFull", err)
	}
	if err := q.Append(Keep, time.Now(), []byte("k-last")); err != nil {
		t.Fatalf("alert refused: %v", err)
	}
	got := drain(t, q)
	if len(got) != 21 {
		t.Fatalf("got %d alert records, want 21", len(got))
	}
	if st := q.Stats(); st.DroppedFull != 1 {
		t.Errorf("DroppedFull = %d, want 1", st.DroppedFull)
	}
}

func TestTornWriteIsCutOnOpen(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(dir, Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, q, Droppable, "t", 0, 10)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Half a record, as a crash in the middle of write(2) would leave.
	if _, err := f.Write([]byte{200, 0, 0, 0, 1, 2, 3, 4, 0, 9, 9}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	q = open(t, dir, Options{})
	appendN(t, q, Droppable, "t", 10, 12)
	got := drain(t, q)
	if len(got) != 12 || got[11] != "t-00011" {
		t.Fatalf("after torn write got %d records (last %q), want 12", len(got), got[len(got)-1])
	}
}

func TestUncleanStopLosesNothingWritten(t *testing.T) {
	dir := t.TempDir()
	// The first queue is never closed, as after kill -9: no fsync, no final cursor save.
	q1, err := Open(dir, Options{SegmentBytes: 300, SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, q1, Droppable, "u", 0, 40)
	recs, _, _ := q1.Next(nil, nil, 200)
	if err := q1.Commit(recs[len(recs)-1].End); err != nil {
		t.Fatal(err)
	}
	appendN(t, q1, Keep, "v", 0, 3)

	q2 := open(t, dir, Options{SegmentBytes: 300})
	got := drain(t, q2)
	if want := 40 - len(recs) + 3; len(got) != want {
		t.Fatalf("after unclean stop got %d records, want %d", len(got), want)
	}
	if got[len(got)-1] != "v-00002" {
		t.Errorf("last record %q", got[len(got)-1])
	}
}

func TestStatsReportsOldestAndCounts(t *testing.T) {
	q := open(t, t.TempDir(), Options{SegmentBytes: 100})
	if st := q.Stats(); !st.Oldest.IsZero() || st.Records != 0 {
		t.Fatalf("empty queue stats %+v", st)
	}
	appendN(t, q, Droppable, "s", 100, 110)
	st := q.Stats()
	if st.Records != 10 || st.Bytes != 10*(headerSize+7) || !st.Oldest.Equal(time.Unix(100, 0)) {
		t.Fatalf("stats %+v", st)
	}
	recs, _, _ := q.Next(nil, nil, 60)
	if err := q.Commit(recs[len(recs)-1].End); err != nil {
		t.Fatal(err)
	}
	st = q.Stats()
	if want := time.Unix(int64(100+len(recs)), 0); !st.Oldest.Equal(want) || st.Records != int64(10-len(recs)) {
		t.Errorf("after committing %d: stats %+v, want oldest %v", len(recs), st, want)
	}
}

func TestLargeRecordLongerThanReadChunk(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	big := strings.Repeat("x", 200<<10)
	if err := q.Append(Droppable, time.Now(), []byte(big)); err != nil {
		t.Fatal(err)
	}
	appendN(t, q, Droppable, "after", 0, 1)
	got := drain(t, q)
	if len(got) != 2 || got[0] != big || got[1] != "after-00000" {
		t.Fatalf("got %d records", len(got))
	}
}

func TestConcurrentWritersOneConsumer(t *testing.T) {
	q := open(t, t.TempDir(), Options{MaxBytes: 0, SegmentBytes: 4096})
	const writers, each = 4, 500
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := q.Append(Droppable, time.Now(), []byte(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}()
	}
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var recs []Record
	var buf []byte
	for finished := false; ; {
		var err error
		recs, buf, err = q.Next(recs[:0], buf[:0], 2048)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if seen[string(r.Data)] {
				t.Fatalf("duplicate %s", r.Data)
			}
			seen[string(r.Data)] = true
		}
		if len(recs) > 0 {
			if err := q.Commit(recs[len(recs)-1].End); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if finished {
			break
		}
		select {
		case <-done:
			finished = true
		case <-q.Ready():
		case <-time.After(10 * time.Millisecond):
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("consumed %d of %d", len(seen), writers*each)
	}
}

// AppendAll stores what Append would, record by record: in order, with class and time, and with
// Append's error for each record it could not store.
func TestAppendAllStoresEachRecordAsAppendWould(t *testing.T) {
	rec := func(class Class, s string) Entry {
		return Entry{Class: class, Time: time.Unix(int64(len(s)), 7), Data: []byte(s)}
	}
	tooBig := Entry{Class: Droppable, Time: time.Unix(1, 0), Data: make([]byte, MaxRecordBytes+1)}
	cases := []struct {
		name    string
		opts    Options
		before  int // Keep records of 24 bytes appended first
		batch   []Entry
		close   bool
		want    []string // payloads read back
		wantErr []error  // per record; nil entries mean stored
		segs    int      // at least this many segments afterwards
	}{
		{name: "a probe run's records",
			batch: []Entry{rec(Droppable, "run"), rec(Droppable, "step-login"), rec(Keep, "alert")},
			want:  []string{"run", "step-login", "alert"}, wantErr: make([]error, 3), segs: 1},
		{name: "an oversized record is refused, the others stored",
			batch: []Entry{rec(Droppable, "a"), tooBig, rec(Droppable, "c")},
			want:  []string{"a", "c"}, wantErr: []error{nil, errTooBig, nil}, segs: 1},
		{name: "a batch crossing the segment size starts a new segment",
			opts:  Options{SegmentBytes: 60},
			batch: []Entry{rec(Droppable, "one-xxxxxxxxxx"), rec(Droppable, "two-xxxxxxxxxx"), rec(Droppable, "three-xxxxxxxx")},
			want:  []string{"one-xxxxxxxxxx", "two-xxxxxxxxxx", "three-xxxxxxxx"}, wantErr: make([]error, 3), segs: 2},
		{name: "a full queue of alerts refuses probe events and keeps alerts",
			opts: Options{MaxBytes: 300, SegmentBytes: 100}, before: 20,
			batch: []Entry{rec(Droppable, "p1"), rec(Keep, "k-new"), rec(Droppable, "p2")},
			want:  []string{"k-new"}, wantErr: []error{ErrFull, nil, ErrFull}},
		{name: "a closed queue refuses all",
			close: true, batch: []Entry{rec(Droppable, "a"), rec(Keep, "b")},
			wantErr: []error{ErrClosed, ErrClosed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := open(t, t.TempDir(), tc.opts)
			appendN(t, q, Keep, "k", 0, tc.before)
			if tc.close {
				if err := q.Close(); err != nil {
					t.Fatal(err)
				}
			}
			errs := make([]error, len(tc.batch))
			q.AppendAll(tc.batch, errs)
			for i, err := range errs {
				switch want := tc.wantErr[i]; {
				case want == errTooBig && (err == nil || !strings.Contains(err.Error(), "exceeds")):
					t.Errorf("record %d: error %v, want the size limit's", i, err)
				case want != errTooBig && !errors.Is(err, want) && err != want:
					t.Errorf("record %d: error %v, want %v", i, err, want)
				}
			}
			if tc.close {
				return
			}
			if st := q.Stats(); st.Segments < tc.segs {
				t.Errorf("%d segments, want at least %d", st.Segments, tc.segs)
			}
			recs, _, err := q.Next(nil, nil, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs[tc.before:] {
				got = append(got, string(r.Data))
				for _, e := range tc.batch {
					if string(e.Data) == string(r.Data) && (r.Class != e.Class || !r.Time.Equal(e.Time)) {
						t.Errorf("%s read back as class %d time %v, written as %d %v", r.Data, r.Class, r.Time, e.Class, e.Time)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("read back %q, want %q", got, tc.want)
			}
		})
	}
}

var errTooBig = errors.New("record over MaxRecordBytes")
