package zabbix

// queue is a bounded FIFO of values. When full, the oldest value is dropped: after a long outage
// the recent state matters more than the old. Each value has a sequence number so the sender
// can acknowledge what it sent even if overflow dropped values meanwhile.
type queue struct {
	buf   []value
	head  int    // index of the oldest value
	n     int    // values held
	first uint64 // sequence number of buf[head]
}

func newQueue(size int) *queue { return &queue{buf: make([]value, size)} }

// push appends v and reports whether an old value had to be dropped.
func (q *queue) push(v value) (dropped bool) {
	if len(q.buf) == 0 {
		return true
	}
	if q.n == len(q.buf) {
		q.buf[q.head] = value{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.first++
		dropped = true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = v
	q.n++
	return dropped
}

// peek copies up to max of the oldest values and returns the sequence number of the first.
func (q *queue) peek(max int) ([]value, uint64) {
	k := min(max, q.n)
	out := make([]value, k)
	for i := 0; i < k; i++ {
		out[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	return out, q.first
}

// ack removes every value with a sequence number below upTo.
func (q *queue) ack(upTo uint64) {
	for q.n > 0 && q.first < upTo {
		q.buf[q.head] = value{}
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.first++
	}
}

func (q *queue) len() int { return q.n }
