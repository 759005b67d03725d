//go:build !linux

package sei

import "net"

// rawConn is Linux's alone (rawconn_linux.go); elsewhere connections go through net.Conn.
func rawConn(c net.Conn) net.Conn { return c }
