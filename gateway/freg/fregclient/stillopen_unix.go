//go:build unix

package fregclient

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// stillOpen peeks at an idle connection's socket without blocking: a server
// that closed it has sent EOF (or an alert, or a stray answer), none of
// which an idle HTTP/1.1 connection may carry. One non-blocking syscall;
// net/http learns the same from the read goroutine it keeps per connection.
func stillOpen(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	// Control, not Read: it neither waits for readiness nor trips over a
	// deadline an earlier request left on the connection.
	err = raw.Control(func(fd uintptr) {
		var b [1]byte
		// Nothing to read is the only healthy answer; 0 bytes is EOF.
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
	})
	return err == nil && open
}
