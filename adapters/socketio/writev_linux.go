package socketio

import (
	"syscall"
	"unsafe"
)

// haveWritev: the flushers write with writev(2) here.
const haveWritev = true

// iovecs is a reusable writev(2) argument.
type iovecs []syscall.Iovec

// set points the iovecs at frames and returns their total length.
func (v *iovecs) set(frames []outFrame) int {
	*v = (*v)[:0]
	n := 0
	for _, f := range frames {
		iov := syscall.Iovec{Base: &f.b[0]}
		iov.SetLen(len(f.b))
		*v = append(*v, iov)
		n += len(f.b)
	}
	return n
}

// writev is one writev(2) of v on fd.
func (v iovecs) writev(fd uintptr) (int, syscall.Errno) {
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
	return int(n), errno
}
