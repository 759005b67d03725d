package sei

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawTCPConn reads and writes a TCP connection with raw system calls on its non-blocking socket,
// waiting in Go's network poller as net.Conn does when the socket has nothing to give.
//
// Why: net.Conn enters every read and write as a possibly blocking system call
// (entersyscall/exitsyscall). On loopback a send does the receiver's TCP work inside the call,
// so a probe's writes often last longer than the runtime's monitor thread (sysmon) waits, and
// sysmon hands the goroutine's processor to another thread and wakes it. At 10,000 instances that
// thread traffic (sysmon's 20 µs sleeps, futex wake-ups, threads parked again) was about a sixth
// of vigia's CPU. A read or write on a non-blocking socket never blocks, so it needs none of it.
// Deadlines, Close and everything else stay net.TCPConn's: the poller's waits honour them.
type rawTCPConn struct {
	*net.TCPConn
	rc syscall.RawConn
	// The buffer and outcome of the call in progress, and the method values RawConn runs, bound
	// once so a read or write allocates no closure. A connection is read by one goroutine and
	// written by one at a time (the session's), which RawConn's fd locks guarantee too.
	rp, wp          []byte
	rn, wn          int
	rerr, werr      syscall.Errno
	readFn, writeFn func(fd uintptr) bool
}

// rawConn wraps a dialled TCP connection; other connections are returned as they are.
func rawConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawTCPConn{TCPConn: tc, rc: rc}
	r.readFn, r.writeFn = r.read, r.write
	return r
}

func (c *rawTCPConn) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.rp))), uintptr(len(c.rp)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait in the poller
		case 0:
			c.rn = int(n)
		}
		c.rerr = e
		return true
	}
}

// Read implements net.Conn.
func (c *rawTCPConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rp, c.rn, c.rerr = p, 0, 0
	err := c.rc.Read(c.readFn)
	n, errno := c.rn, c.rerr
	c.rp = nil
	if err := c.outcome("read", err, errno); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *rawTCPConn) write(fd uintptr) bool {
	for len(c.wp) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(c.wp))), uintptr(len(c.wp)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // the send buffer is full: wait in the poller
		case 0:
			c.wn += int(n)
			c.wp = c.wp[n:]
			continue
		}
		c.werr = e
		return true
	}
	return true
}

// Write implements net.Conn: all of p, or an error.
func (c *rawTCPConn) Write(p []byte) (int, error) {
	c.wp, c.wn, c.werr = p, 0, 0
	err := c.rc.Write(c.writeFn)
	n, errno := c.wn, c.werr
	c.wp = nil
	return n, c.outcome("write", err, errno)
}

// outcome words the failure of a read or write as net.Conn's own, so probe results read the same
// ("read tcp a->b: i/o timeout"): err is RawConn's (the poller's wait: a deadline, a close), which
// it reports as an *OpError of its own ("raw-read") whose cause is kept; errno is the system call's.
func (c *rawTCPConn) outcome(op string, err error, errno syscall.Errno) error {
	switch {
	case err != nil:
		if oe, ok := err.(*net.OpError); ok {
			err = oe.Err
		}
	case errno != 0:
		err = os.NewSyscallError(op, errno)
	default:
		return nil
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
