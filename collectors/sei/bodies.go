package sei

import (
	"io"
	"math/bits"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/net/html"

	"github.com/vigia-sei/vigia/collectors/probe"
)

// bodies.go recycles the memory of a run's pages: response bodies, their decoded text and the
// element indexes and DOMs built on it. A run reads a handful of SEI pages of 20–80 KB, and at
// 10,000 instances that memory was over half of all the bytes vigia allocated, which is what sets
// how often the garbage collector runs. A session hands all of it back when it closes and a later run
// reads into it again.
//
// So nothing read from a session's responses and pages may be used after Close: a string a page
// returns may share the page's memory. What a run keeps is its Result, and CloseKeep copies the
// strings of the Result that share it before closing; what else a prober keeps (LoggedInPages)
// it copies itself. Built with -tags vigiadebug, handed-back memory is overwritten, indexes are
// marked dead and DOMs cleared, so a test that reads a page after its session closed fails
// instead of passing by luck (make test runs the probers' tests so).

// Bodies are pooled by size class: four classes per doubling from 4 KiB to 1 MiB, so a class
// wastes at most a quarter of its size (a 20 KB page in a 32 KiB buffer would waste a third of
// the memory in flight). Bigger bodies are rare and left to the collector.
const (
	minBodyShift = 12 // smallest class: 4 KiB
	maxBodyShift = 20 // largest: 1 MiB
	nBodyClasses = 1 + 4*(maxBodyShift-minBodyShift)
)

// bodyClass is the smallest class holding n bytes, or -1 when n is beyond the largest.
func bodyClass(n int) int {
	if n <= 1<<minBodyShift {
		return 0
	}
	e := bits.Len(uint(n-1)) - 1 // 2^e < n <= 2^(e+1)
	if e >= maxBodyShift {
		return -1
	}
	step := 1 << (e - 2)
	q := (n - 1<<e + step - 1) / step // 1..4
	return 1 + 4*(e-minBodyShift) + q - 1
}

// bodyClassSize is the capacity of class c's buffers.
func bodyClassSize(c int) int {
	if c == 0 {
		return 1 << minBodyShift
	}
	e := minBodyShift + (c-1)/4
	return 1<<e + ((c-1)%4+1)<<(e-2)
}

// bodyBuf is the memory of a body or of a decoded text.
type bodyBuf struct{ b []byte }

// bodyPool holds free bodies by size class.
type bodyPool struct {
	classes [nBodyClasses]sync.Pool
}

// get returns an empty body with room for at least n bytes.
func (p *bodyPool) get(n int) *bodyBuf {
	c := bodyClass(n)
	if c < 0 {
		return &bodyBuf{b: make([]byte, 0, n)}
	}
	if bb, _ := p.classes[c].Get().(*bodyBuf); bb != nil {
		bb.b = bb.b[:0]
		return bb
	}
	return &bodyBuf{b: make([]byte, 0, bodyClassSize(c))}
}

// put hands a body back.
func (p *bodyPool) put(bb *bodyBuf) {
	c := bodyClass(cap(bb.b))
	if c < 0 || cap(bb.b) != bodyClassSize(c) {
		return
	}
	if poisonBodies {
		b := bb.b[:cap(bb.b)]
		for i := range b {
			b[i] = 0xff
		}
	}
	p.classes[c].Put(bb)
}

// readBody reads a response body of at most maxBody bytes into pooled memory; truncated says it
// was longer. hint (Content-Length, or -1) sizes the buffer once; a body of unknown length (SEI's
// pages are chunked) starts at 16 KiB and moves up the classes.
func (c *Client) readBody(r io.Reader, hint int64) (bb *bodyBuf, truncated bool, err error) {
	limit := c.maxBody + 1 // one byte past the cap says there was more
	want := int64(16 << 10)
	if hint >= 0 {
		want = min(hint+1, limit) // +1: room to see the end without growing
	}
	bb = c.bodies.get(int(want))
	for {
		b := bb.b
		if int64(len(b)) >= limit {
			break
		}
		if len(b) == cap(b) {
			nb := c.bodies.get(int(min(2*int64(cap(b)), limit)))
			nb.b = append(nb.b, b...)
			c.bodies.put(bb)
			bb, b = nb, nb.b
		}
		end := min(int64(cap(b)), limit)
		n, rerr := r.Read(b[len(b):end])
		bb.b = b[:len(b)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	if int64(len(bb.b)) > c.maxBody {
		bb.b, truncated, err = bb.b[:c.maxBody], true, nil
	}
	return bb, truncated, err
}

// alloc returns session-owned memory for n bytes (len 0), handed back by Close.
func (s *Session) alloc(n int) []byte {
	bb := s.c.bodies.get(n)
	s.bodies = append(s.bodies, bb)
	return bb.b
}

// treeMem is a DOM's memory: the node and attribute slabs parseTree fills.
type treeMem struct {
	nodes []html.Node
	attrs []html.Attribute
}

// tree returns DOM memory of the session, handed back by Close.
func (s *Session) tree() *treeMem {
	m, _ := s.c.trees.Get().(*treeMem)
	if m == nil {
		m = &treeMem{}
	}
	s.trees = append(s.trees, m)
	return m
}

// index returns an empty element index of the session, handed back by Close.
func (s *Session) index() *pageIndex {
	x, _ := s.c.indexes.Get().(*pageIndex)
	if x == nil {
		x = &pageIndex{}
	}
	s.indexes = append(s.indexes, x)
	return x
}

// release hands back the run's memory.
func (s *Session) release() {
	for i, bb := range s.bodies {
		s.c.bodies.put(bb)
		s.bodies[i] = nil
	}
	s.bodies = s.bodies[:0]
	for i, x := range s.indexes {
		s.indexes[i] = nil
		if poisonBodies {
			*x = pageIndex{dead: true}
			continue
		}
		if cap(x.elems) > maxPooledElems {
			continue
		}
		*x = pageIndex{elems: x.elems[:0], attrs: x.attrs[:0]}
		s.c.indexes.Put(x)
	}
	s.indexes = s.indexes[:0]
	for i, m := range s.trees {
		s.trees[i] = nil
		// Cleared so the pool holds no pointers into the run's pages (and, in vigiadebug
		// builds, so a DOM read after Close falls apart).
		clear(m.nodes[:cap(m.nodes)])
		clear(m.attrs[:cap(m.attrs)])
		if !poisonBodies && cap(m.nodes) <= maxPooledElems {
			s.c.trees.Put(m)
		}
	}
	s.trees = s.trees[:0]
}

// maxPooledElems keeps the index of a freak page (a 5 MB listing) out of the pool.
const maxPooledElems = 1 << 14

// owns says whether str shares the session's memory.
func (s *Session) owns(str string) bool {
	if len(str) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(str)))
	for _, bb := range s.bodies {
		b := bb.b[:cap(bb.b)]
		if lo := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p >= lo && p < lo+uintptr(len(b)) {
			return true
		}
	}
	return false
}

// CloseKeep closes the session after copying out every string of r that shares the session's
// memory (a module name, a version, an error quoting the page), so the Result outlives the run.
func (s *Session) CloseKeep(r *probe.Result) {
	keep := func(ps ...*string) {
		for _, p := range ps {
			if s.owns(*p) {
				*p = strings.Clone(*p)
			}
		}
	}
	keep(&r.Error, &r.State)
	keepKeys(s, r.Values)
	keepKeys(s, r.Phases)
	for i := range r.Versions {
		v := &r.Versions[i]
		keep(&v.Component, &v.Version, &v.Source, &v.Confidence)
	}
	for i := range r.Drift {
		d := &r.Drift[i]
		keep(&d.Component, &d.Observed, &d.Desired, &d.Level, &d.Against)
	}
	for i := range r.Modules {
		m := &r.Modules[i]
		keep(&m.Name, &m.Version, &m.Desired, &m.Detail)
	}
	for i := range r.Steps {
		keep(&r.Steps[i].Name, &r.Steps[i].Error)
	}
	if e := r.Evidence; e != nil {
		keep(&e.Step, &e.URL, &e.Excerpt)
	}
	s.Close()
}

func keepKeys[V any](s *Session, m map[string]V) {
	for k, v := range m {
		if s.owns(k) {
			delete(m, k)
			m[strings.Clone(k)] = v
		}
	}
}
