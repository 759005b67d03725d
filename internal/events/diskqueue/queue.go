package diskqueue

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Class says whether a record may be dropped when the queue is full.
type Class uint8

const (
	// Droppable records (probe results, log lines) go first when the queue hits its limit.
	Droppable Class = 0
	// Keep records (alert state changes) are never dropped; they may push the queue over its limit.
	Keep Class = 1
)

// Record layout: u32 payload length | u32 CRC-32C of (class, time, payload) | u8 class |
// i64 unix-nano time | payload. The time is the event's, kept so the queue can report its age.
const (
	headerSize = 17
	// MaxRecordBytes bounds one record; anything larger is a bug upstream, not an event.
	MaxRecordBytes = 32 << 20
	cursorFile     = "cursor"
	segSuffix      = ".seg"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	// ErrClosed is returned by calls on a closed queue.
	ErrClosed = errors.New("diskqueue: queue is closed")
	// ErrFull is returned by Append when a droppable record did not fit and was dropped.
	ErrFull = errors.New("diskqueue: queue is full and holds nothing older to drop; record dropped")
)

// Options bound and tune a queue.
type Options struct {
	// MaxBytes is the byte budget of all segments together; 0 means unbounded.
	MaxBytes int64
	// SegmentBytes is the size at which the tail segment is closed and a new one started; it is
	// also the unit in which old records are dropped. Default: MaxBytes/16 within [1 MiB, 64 MiB].
	SegmentBytes int64
	// SyncInterval is how often written data is fsynced; default 1s, negative disables.
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// Position is a place in the queue: a segment, a byte offset in it and the index of the record
// that starts there.
type Position struct {
	Seg uint64 `json:"seg"`
	Off int64  `json:"off"`
	Idx int64  `json:"idx"`
}

func (p Position) before(o Position) bool {
	return p.Seg < o.Seg || (p.Seg == o.Seg && p.Off < o.Off)
}

// Record is one record read by Next.
type Record struct {
	Class Class
	Time  time.Time
	// Data aliases the buffer passed to Next: copy it to keep it past the next call.
	Data []byte
	// End is the position just after this record: Commit(End) consumes it and all before it.
	End Position
}

// Stats is a snapshot of the queue.
type Stats struct {
	Bytes    int64 // unconsumed bytes, headers included
	Records  int64 // unconsumed records
	Segments int
	// DroppedFull counts records dropped because the queue was full; DroppedCorrupt records
	// lost to a damaged segment (at least one per damaged spot).
	DroppedFull    int64
	DroppedCorrupt int64
	// Oldest is the time of the oldest unconsumed record; zero when the queue is empty.
	Oldest time.Time
}

type segment struct {
	seq       uint64
	size      int64 // bytes of valid records
	count     int64
	keepCount int64
	r         *os.File // read handle, opened on first read
}

// Queue is a bounded on-disk FIFO with any number of writers and one consumer.
type Queue struct {
	dir  string
	opts Options
	log  *slog.Logger

	mu             sync.Mutex
	segs           []*segment // oldest first; the last one is the tail being written
	tail           *os.File
	commit         Position
	read           Position
	dirty          bool
	closed         bool
	droppedFull    int64
	droppedCorrupt int64
	wbuf           []byte

	ready chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

// Open opens (or creates) the queue in dir, validating every record on disk: a torn record at the
// end of the last segment, left by a crash in the middle of a write, is cut off.
func Open(dir string, opts Options) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("diskqueue: create buffer directory %s: %w", dir, err)
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(max(opts.MaxBytes/16, 1<<20), 64<<20)
	}
	if opts.SyncInterval == 0 {
		opts.SyncInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{dir: dir, opts: opts, log: opts.Logger, ready: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}

	seqs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	cur, haveCursor := q.loadCursor()
	curFound := false
	for i, seq := range seqs {
		s, idx, err := q.scan(seq, i == len(seqs)-1, cur)
		if err != nil {
			return nil, err
		}
		if haveCursor && seq == cur.Seg {
			curFound = true
			if cur.Idx = idx; idx < 0 {
				// Not on a record boundary: replay this segment rather than guess.
				cur.Off, cur.Idx = 0, 0
			}
		}
		q.segs = append(q.segs, s)
	}
	if len(q.segs) == 0 {
		f, err := q.createSegment(1)
		if err != nil {
			return nil, err
		}
		q.tail = f
		q.segs = append(q.segs, &segment{seq: 1})
	} else {
		last := q.segs[len(q.segs)-1]
		f, err := os.OpenFile(q.segPath(last.seq), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, fmt.Errorf("diskqueue: open tail segment: %w", err)
		}
		q.tail = f
	}
	q.commit = Position{Seg: q.segs[0].seq}
	if curFound {
		q.commit = cur
	}
	q.read = q.commit
	if opts.SyncInterval > 0 {
		go q.syncLoop()
	} else {
		close(q.done)
	}
	return q, nil
}

func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("diskqueue: list %s: %w", dir, err)
	}
	var seqs []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) || len(name) != 16+len(segSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 16, 64)
		if err != nil {
			continue
		}
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

func (q *Queue) segPath(seq uint64) string {
	return filepath.Join(q.dir, fmt.Sprintf("%016x%s", seq, segSuffix))
}

func (q *Queue) createSegment(seq uint64) (*os.File, error) {
	f, err := os.OpenFile(q.segPath(seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("diskqueue: create segment: %w", err)
	}
	return f, nil
}

// scan validates one segment and counts its records. It returns the index of the record at the
// cursor's offset when the cursor points into this segment (-1 when the cursor is not on a record
// boundary, so the caller starts that segment over rather than trusting it).
func (q *Queue) scan(seq uint64, last bool, cur Position) (*segment, int64, error) {
	path := q.segPath(seq)
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("diskqueue: open segment: %w", err)
	}
	defer f.Close()
	s := &segment{seq: seq}
	curIdx := int64(-1)
	br := bufio.NewReaderSize(f, 1<<20)
	var hdr [headerSize]byte
	var payload []byte
	bad := ""
	for {
		if seq == cur.Seg && s.size == cur.Off {
			curIdx = s.count
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err != io.EOF {
				bad = "torn record header"
			}
			break
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		if n > MaxRecordBytes {
			bad = "impossible record length"
			break
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			bad = "torn record"
			break
		}
		if recordCRC(hdr[8:17], payload) != binary.LittleEndian.Uint32(hdr[4:8]) {
			bad = "checksum mismatch"
			break
		}
		s.size += headerSize + int64(n)
		s.count++
		if Class(hdr[8]) == Keep {
			s.keepCount++
		}
	}
	if bad != "" {
		if last {
			// A crash in the middle of a write leaves a partial record at the very end: cut it.
			q.log.Warn("event buffer: cutting a partial record left by an interrupted write",
				"segment", filepath.Base(path), "offset", s.size, "problem", bad)
			if err := os.Truncate(path, s.size); err != nil {
				return nil, 0, fmt.Errorf("diskqueue: truncate damaged segment %s: %w", path, err)
			}
		} else {
			q.log.Error("event buffer: segment damaged; records after the damage are lost",
				"segment", filepath.Base(path), "offset", s.size, "problem", bad)
			q.droppedCorrupt++
		}
	}
	if seq == cur.Seg && curIdx < 0 && cur.Off != 0 {
		q.log.Warn("event buffer: cursor is not on a record boundary; replaying its segment",
			"segment", filepath.Base(path))
	}
	return s, curIdx, nil
}

// recordCRC sums the class and time bytes of a header, then the payload. It takes them as they
// lie in the header: a one-byte slice made for the class escaped to the heap on every record.
func recordCRC(classTime []byte, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, crcTable, classTime), crcTable, payload)
}

func (q *Queue) loadCursor() (Position, bool) {
	b, err := os.ReadFile(filepath.Join(q.dir, cursorFile))
	if err != nil {
		return Position{}, false
	}
	var p Position
	if err := json.Unmarshal(b, &p); err != nil || p.Off < 0 {
		q.log.Warn("event buffer: unreadable cursor; replaying the buffer from its start", "err", err)
		return Position{}, false
	}
	return p, true
}

// saveCursorLocked persists the commit position. It is not fsynced: a stale cursor after a power
// loss only replays records, which the shipper makes idempotent.
func (q *Queue) saveCursorLocked() error {
	b, _ := json.Marshal(q.commit)
	tmp := filepath.Join(q.dir, cursorFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("diskqueue: save cursor: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(q.dir, cursorFile)); err != nil {
		return fmt.Errorf("diskqueue: save cursor: %w", err)
	}
	return nil
}

// Append adds one record. It returns ErrFull when the record is droppable and no room could be
// made for it, and an error when the disk refuses the write.
func (q *Queue) Append(class Class, t time.Time, data []byte) error {
	var err [1]error
	q.AppendAll([]Entry{{Class: class, Time: t, Data: data}}, err[:])
	return err[0]
}

// Entry is one record for AppendAll.
type Entry struct {
	Class Class
	Time  time.Time
	Data  []byte
}

// AppendAll adds records in order and sets errs[i] (len(errs) must be len(es)) as Append would
// return it for es[i]. Records that fit in the tail segment and the budget, which is all of them
// but at a segment's end or when the queue is full, go to disk in one write: a probe run's events
// cost one system call instead of one each, with the same guarantee that a returned record is in
// the file.
func (q *Queue) AppendAll(es []Entry, errs []error) {
	var total int64
	for i, e := range es {
		errs[i] = nil
		if len(e.Data) > MaxRecordBytes {
			errs[i] = fmt.Errorf("diskqueue: record of %d bytes exceeds the %d-byte limit", len(e.Data), MaxRecordBytes)
		}
		total += int64(headerSize + len(e.Data))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = ErrClosed
			}
		}
		return
	}
	tail := q.segs[len(q.segs)-1]
	fits := (q.opts.MaxBytes <= 0 || q.bytesLocked()+total <= q.opts.MaxBytes) &&
		tail.size+total <= q.opts.SegmentBytes
	written := false
	if fits && len(es) > 1 {
		b := q.wbuf[:0]
		for i, e := range es {
			if errs[i] == nil {
				b = appendRecord(b, e.Class, e.Time.UnixNano(), e.Data)
			}
		}
		if err := q.writeTailLocked(b); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		} else {
			for i, e := range es {
				if errs[i] == nil {
					q.countLocked(tail, e.Class, len(e.Data))
					written = true
				}
			}
		}
	} else {
		for i, e := range es {
			if errs[i] != nil {
				continue
			}
			if q.opts.MaxBytes > 0 && !q.makeRoomLocked(int64(headerSize+len(e.Data)), e.Class) {
				q.droppedFull++
				errs[i] = ErrFull
				continue
			}
			if errs[i] = q.writeLocked(e.Class, e.Time.UnixNano(), e.Data); errs[i] == nil {
				written = true
			}
		}
	}
	if written {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
}

func appendRecord(b []byte, class Class, nanos int64, data []byte) []byte {
	h := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, 0, 0, 0, 0, byte(class))
	b = binary.LittleEndian.AppendUint64(b, uint64(nanos))
	b = append(b, data...)
	binary.LittleEndian.PutUint32(b[h+4:h+8], recordCRC(b[h+8:h+17], data))
	return b
}

// writeTailLocked writes whole records to the tail segment, keeping b as the next buffer.
func (q *Queue) writeTailLocked(b []byte) error {
	if cap(b) <= 1<<20 {
		q.wbuf = b[:0]
	}
	if _, err := q.tail.Write(b); err != nil {
		// Cut whatever part of the records reached the file so the segment stays parseable.
		_ = q.tail.Truncate(q.segs[len(q.segs)-1].size)
		return fmt.Errorf("diskqueue: write to event buffer: %w", err)
	}
	return nil
}

// countLocked accounts for a record of n payload bytes written to the tail segment.
func (q *Queue) countLocked(tail *segment, class Class, n int) {
	tail.size += int64(headerSize + n)
	tail.count++
	if class == Keep {
		tail.keepCount++
	}
	q.dirty = true
}

func (q *Queue) writeLocked(class Class, nanos int64, data []byte) error {
	size := int64(headerSize + len(data))
	tail := q.segs[len(q.segs)-1]
	if tail.size > 0 && tail.size+size > q.opts.SegmentBytes {
		if err := q.rollLocked(); err != nil {
			return err
		}
		tail = q.segs[len(q.segs)-1]
	}
	if err := q.writeTailLocked(appendRecord(q.wbuf[:0], class, nanos, data)); err != nil {
		return err
	}
	q.countLocked(tail, class, len(data))
	return nil
}

func (q *Queue) rollLocked() error {
	last := q.segs[len(q.segs)-1]
	f, err := q.createSegment(last.seq + 1)
	if err != nil {
		return err
	}
	_ = q.tail.Sync()
	_ = q.tail.Close()
	q.tail = f
	q.segs = append(q.segs, &segment{seq: last.seq + 1})
	return nil
}

func (q *Queue) bytesLocked() int64 {
	var n int64
	for _, s := range q.segs {
		n += s.size
	}
	if q.commit.Seg == q.segs[0].seq {
		n -= q.commit.Off
	}
	return n
}

func (q *Queue) hasDroppableLocked() bool {
	for i, s := range q.segs {
		if s.count-s.keepCount == 0 {
			continue
		}
		if i > 0 || q.commit.Seg != s.seq || q.commit.Idx < s.count {
			return true
		}
	}
	return false
}

// makeRoomLocked drops the oldest segments until need more bytes fit. It reports whether the
// record may be written: a Keep record always may, even over the limit.
func (q *Queue) makeRoomLocked(need int64, class Class) bool {
	// Each round removes one segment; the bound stops a queue made only of Keep records from
	// cycling them forever.
	for guard := len(q.segs) + 2; q.bytesLocked()+need > q.opts.MaxBytes; guard-- {
		if guard == 0 || !q.hasDroppableLocked() {
			return class == Keep
		}
		if len(q.segs) == 1 {
			if err := q.rollLocked(); err != nil {
				q.log.Error("event buffer: cannot start a new segment", "err", err)
				return class == Keep
			}
		}
		q.dropHeadLocked()
	}
	return true
}

// dropHeadLocked removes the oldest segment, first copying its unconsumed Keep records to the tail.
func (q *Queue) dropHeadLocked() {
	s := q.segs[0]
	start, startIdx := int64(0), int64(0)
	if q.commit.Seg == s.seq {
		start, startIdx = q.commit.Off, q.commit.Idx
	}
	lost := s.count - startIdx
	var rescued int64
	if s.keepCount > 0 {
		var err error
		rescued, err = q.rescueLocked(s, start)
		if err != nil {
			q.log.Error("event buffer: could not copy alert events out of a segment being dropped",
				"segment", filepath.Base(q.segPath(s.seq)), "err", err)
		}
	}
	q.removeHeadLocked()
	q.commit = Position{Seg: q.segs[0].seq}
	if q.read.Seg <= s.seq {
		q.read = q.commit
	}
	if err := q.saveCursorLocked(); err != nil {
		q.log.Error("event buffer: cannot save cursor", "err", err)
	}
	dropped := lost - rescued
	q.droppedFull += dropped
	q.log.Warn("event buffer full: dropped the oldest probe events to make room",
		"dropped", dropped, "kept_alert_events", rescued, "limit_bytes", q.opts.MaxBytes)
}

func (q *Queue) rescueLocked(s *segment, from int64) (int64, error) {
	f, err := os.Open(q.segPath(s.seq))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, err
	}
	br := bufio.NewReaderSize(io.LimitReader(f, s.size-from), 1<<20)
	var hdr [headerSize]byte
	var n int64
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		payload := make([]byte, binary.LittleEndian.Uint32(hdr[0:4]))
		if _, err := io.ReadFull(br, payload); err != nil {
			return n, err
		}
		if Class(hdr[8]) != Keep {
			continue
		}
		if err := q.writeLocked(Keep, int64(binary.LittleEndian.Uint64(hdr[9:17])), payload); err != nil {
			return n, err
		}
		n++
	}
}

func (q *Queue) removeHeadLocked() {
	s := q.segs[0]
	if s.r != nil {
		_ = s.r.Close()
	}
	if err := os.Remove(q.segPath(s.seq)); err != nil && !errors.Is(err, os.ErrNotExist) {
		q.log.Error("event buffer: cannot remove consumed segment", "err", err)
	}
	q.segs = q.segs[1:]
}

func (q *Queue) segLocked(seq uint64) (*segment, int) {
	for i, s := range q.segs {
		if s.seq == seq {
			return s, i
		}
	}
	return nil, -1
}

// Next reads records after the read position into dst until about maxBytes of data were read or
// nothing is left, copying their bytes into buf. It advances the read position, not the commit.
func (q *Queue) Next(dst []Record, buf []byte, maxBytes int) ([]Record, []byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return dst, buf, ErrClosed
	}
	read := 0
	for read < maxBytes {
		s, i := q.segLocked(q.read.Seg)
		if s == nil {
			q.read = q.commit
			s, i = q.segLocked(q.read.Seg)
		}
		if q.read.Off >= s.size {
			if i == len(q.segs)-1 {
				break
			}
			q.read = Position{Seg: q.segs[i+1].seq}
			continue
		}
		if s.r == nil {
			f, err := os.Open(q.segPath(s.seq))
			if err != nil {
				return dst, buf, fmt.Errorf("diskqueue: open segment for reading: %w", err)
			}
			s.r = f
		}
		want := min(s.size-q.read.Off, int64(max(maxBytes-read, 64<<10)))
		n, recs, err := q.readChunkLocked(s, &buf, &dst, want)
		if err != nil {
			return dst, buf, err
		}
		if recs == 0 && n == 0 {
			break
		}
		read += n
	}
	return dst, buf, nil
}

// readChunkLocked reads up to want bytes of segment s at the read position and appends the whole
// records found there.
func (q *Queue) readChunkLocked(s *segment, buf *[]byte, dst *[]Record, want int64) (int, int, error) {
	base := len(*buf)
	chunk, err := readAt(s.r, buf, q.read.Off, want)
	if err != nil {
		return 0, 0, err
	}
	if len(chunk) >= headerSize {
		if n := int64(headerSize) + int64(binary.LittleEndian.Uint32(chunk[0:4])); n > int64(len(chunk)) && n <= s.size-q.read.Off {
			// The first record is longer than the chunk: read exactly that record.
			*buf = (*buf)[:base]
			if chunk, err = readAt(s.r, buf, q.read.Off, n); err != nil {
				return 0, 0, err
			}
		}
	}
	off, recs := 0, 0
	for off+headerSize <= len(chunk) {
		n := int(binary.LittleEndian.Uint32(chunk[off : off+4]))
		end := off + headerSize + n
		if end > len(chunk) {
			break
		}
		h := chunk[off : off+headerSize]
		data := chunk[off+headerSize : end]
		if recordCRC(h[8:17], data) != binary.LittleEndian.Uint32(h[4:8]) {
			q.corruptLocked(s)
			break
		}
		q.read.Off += int64(headerSize + n)
		q.read.Idx++
		*dst = append(*dst, Record{Class: Class(h[8]), Time: time.Unix(0, int64(binary.LittleEndian.Uint64(h[9:17]))),
			Data: data, End: q.read})
		off = end
		recs++
	}
	*buf = (*buf)[:base+off]
	return off, recs, nil
}

func readAt(f *os.File, buf *[]byte, off, n int64) ([]byte, error) {
	base := len(*buf)
	if int64(cap(*buf)-base) < n {
		nb := make([]byte, base, int64(base)+n+int64(base/2))
		copy(nb, *buf)
		*buf = nb
	}
	*buf = (*buf)[:base+int(n)]
	chunk := (*buf)[base:]
	if _, err := f.ReadAt(chunk, off); err != nil {
		*buf = (*buf)[:base]
		return nil, fmt.Errorf("diskqueue: read event buffer: %w", err)
	}
	return chunk, nil
}

// corruptLocked gives up on the rest of a segment whose record at the read position is damaged.
func (q *Queue) corruptLocked(s *segment) {
	q.log.Error("event buffer: damaged record; the rest of its segment is lost",
		"segment", filepath.Base(q.segPath(s.seq)), "offset", q.read.Off)
	q.droppedCorrupt += max(s.count-q.read.Idx, 1)
	if s == q.segs[len(q.segs)-1] {
		if err := q.rollLocked(); err != nil {
			q.log.Error("event buffer: cannot start a new segment", "err", err)
		}
	}
	s.size, s.count = q.read.Off, q.read.Idx
}

// Commit consumes every record up to p (a Record's End), deleting segments that are fully
// consumed. Positions at or before the current commit are ignored.
func (q *Queue) Commit(p Position) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if !q.commit.before(p) || p.Seg < q.segs[0].seq {
		return nil
	}
	q.commit = p
	for len(q.segs) > 1 {
		h := q.segs[0]
		if h.seq > q.commit.Seg || (h.seq == q.commit.Seg && q.commit.Off < h.size) {
			break
		}
		q.removeHeadLocked()
		if q.commit.Seg <= h.seq {
			q.commit = Position{Seg: q.segs[0].seq}
		}
	}
	if q.read.before(q.commit) {
		q.read = q.commit
	}
	return q.saveCursorLocked()
}

// Rewind moves the read position back to the commit, so that records read but not committed
// are read again.
func (q *Queue) Rewind() {
	q.mu.Lock()
	q.read = q.commit
	q.mu.Unlock()
}

// Ready is signalled after appends; a consumer waits on it when Next returns nothing.
func (q *Queue) Ready() <-chan struct{} { return q.ready }

// Len returns the number of unconsumed records, without touching the disk.
func (q *Queue) Len() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for _, s := range q.segs {
		n += s.count
	}
	if q.commit.Seg == q.segs[0].seq {
		n -= q.commit.Idx
	}
	return n
}

// Stats returns a snapshot; it reads one record header from disk for the oldest record's time.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := Stats{Segments: len(q.segs), DroppedFull: q.droppedFull, DroppedCorrupt: q.droppedCorrupt}
	if q.closed {
		return st
	}
	st.Bytes = q.bytesLocked()
	for _, s := range q.segs {
		st.Records += s.count
	}
	if q.commit.Seg == q.segs[0].seq {
		st.Records -= q.commit.Idx
	}
	pos := q.commit
	for _, s := range q.segs {
		if s.seq < pos.Seg {
			continue
		}
		if s.seq > pos.Seg {
			pos = Position{Seg: s.seq}
		}
		if pos.Off >= s.size {
			continue
		}
		var hdr [headerSize]byte
		f, err := os.Open(q.segPath(s.seq))
		if err != nil {
			break
		}
		_, err = f.ReadAt(hdr[:], pos.Off)
		_ = f.Close()
		if err == nil {
			st.Oldest = time.Unix(0, int64(binary.LittleEndian.Uint64(hdr[9:17])))
		}
		break
	}
	return st
}

func (q *Queue) syncLoop() {
	defer close(q.done)
	t := time.NewTicker(q.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			q.mu.Lock()
			f, dirty := q.tail, q.dirty
			q.dirty = false
			q.mu.Unlock()
			if dirty {
				// Outside the lock: an fsync may take tens of milliseconds and appends must not wait.
				// A roll may close f meanwhile; it synced f itself, so the error is moot.
				_ = f.Sync()
			}
		}
	}
}

// Close syncs and closes the queue; the cursor is saved so the next Open resumes where this left.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	if q.opts.SyncInterval > 0 {
		close(q.stop)
	}
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	errSync := q.tail.Sync()
	errClose := q.tail.Close()
	for _, s := range q.segs {
		if s.r != nil {
			_ = s.r.Close()
		}
	}
	errCursor := q.saveCursorLocked()
	return errors.Join(errSync, errClose, errCursor)
}
