//go:build !linux

package socketio

import "syscall"

// haveWritev: elsewhere every transport writes with blocking writes on a goroutine of its own.
const haveWritev = false

type iovecs struct{}

func (*iovecs) set(frames []outFrame) int { return 0 }

func (iovecs) writev(uintptr) (int, syscall.Errno) { return 0, syscall.ENOSYS }
