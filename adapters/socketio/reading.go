package socketio

import (
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/zishang520/socket.io/v3/pkg/types"
)

// How a websocket transport reads. On Linux a socket waits for its client in a poller (an epoll set, see
// poller_linux.go): while it is idle it has no goroutine and no read buffer of its own. When the client
// writes, a short-lived goroutine reads what came, hands each message to the engine, and gives the socket back
// to the poller. Where there is no poller (another OS, or a connection without a descriptor), a goroutine per
// socket reads blocking, as the library's own transport does.

// errWouldBlock: the connection has nothing more to read now.
var errWouldBlock = errors.New("nothing to read")

// readBufSize is the buffer one read fills; a frame larger than it gets a buffer of its own size.
const readBufSize = 16 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// startReading is the transport's reader, started by the library once the engine allows it.
func (t *wsTransport) startReading() {
	// gorilla/websocket's connection is of no use from here on (frames are read and written on the net.Conn),
	// but it holds a 1 KiB read buffer and a 1 KiB write buffer (sizes the library sets) for as long as the
	// engine keeps the session's HttpContext, which refers to it: let go of it, ~3 KiB per socket. The engine
	// reads the connection only while it initializes the transport, and reading starts after that (the read
	// permission is granted once the initialization has completed).
	t.ws.Conn, t.ws = nil, nil
	if p := t.w.pollerFor(t); p != nil && t.raw != nil {
		t.lastRead.Store(time.Now().UnixNano())
		if err := p.add(t); err == nil {
			return
		}
	}
	t.hop = true // a long-lived reader: the engine's work runs off its stack
	t.readFrom(t.readBlocking)
}

// readFrom reads through read and hands every complete message to the engine. It returns true when read
// would block (the transport waits to be readable again) and false when the connection is closed.
func (t *wsTransport) readFrom(read func([]byte) (int, error)) (again bool) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := append((*bp)[:0], t.fr.pending...)
	t.fr.pending = nil
	need := 0
	for {
		if len(buf) == cap(buf) { // a frame larger than the buffer: room for the whole of it
			buf = slices.Grow(buf, max(need, 2*len(buf))-len(buf))
		}
		n, err := read(buf[len(buf):cap(buf)])
		if n > 0 {
			t.lastRead.Store(time.Now().UnixNano())
			buf = buf[:len(buf)+n]
			var consumed int
			var perr error
			consumed, need, perr = t.fr.parse(buf, int(t.w.cfg.MaxPayloadBytes), t)
			if perr != nil {
				t.readFailed(perr)
				return false
			}
			buf = buf[:copy(buf, buf[consumed:])]
			if t.isClosed() {
				return false
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, errWouldBlock):
			if len(buf) > 0 {
				t.fr.pending = slices.Clone(buf)
			}
			return true
		case errors.Is(err, os.ErrDeadlineExceeded):
			t.abort(closeIdle)
			return false
		case errors.Is(err, io.EOF):
			t.abort(closeClient)
			return false
		default:
			t.abort(closeReadError)
			return false
		}
	}
}

// readBlocking is one blocking read, within the idle timeout.
func (t *wsTransport) readBlocking(b []byte) (int, error) {
	if t.idle > 0 {
		_ = t.conn.SetReadDeadline(time.Now().Add(t.idle))
	}
	return t.conn.Read(b)
}

// readNow is one read that never waits: errWouldBlock when the kernel has nothing for it.
func (t *wsTransport) readNow(b []byte) (n int, err error) {
	rerr := t.raw.Read(func(fd uintptr) bool {
		for {
			n, err = syscall.Read(int(fd), b)
			if err != syscall.EINTR {
				return true // never wait: the poller does
			}
		}
	})
	switch {
	case rerr != nil:
		return 0, rerr
	case err == syscall.EAGAIN:
		return 0, errWouldBlock
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readFailed closes a connection whose client broke the protocol, sent too much or closed it.
func (t *wsTransport) readFailed(err error) {
	switch {
	case errors.Is(err, errClientDone):
		t.closeFromClient(closeClient, closeReply(t.fr.closePayload))
	case errors.Is(err, errBadText):
		t.closeFromClient(closeBadText, frameOf(opClose, []byte{0x03, 0xef})) // 1007: invalid payload data
	case errors.Is(err, errTooBig):
		t.closeFromClient(closeTooBig, frameOf(opClose, []byte{0x03, 0xf1})) // 1009: message too big
	default:
		t.closeFromClient(closeProtocol, frameOf(opClose, []byte{0x03, 0xea})) // 1002: protocol error
	}
}

// message is a complete message from the client (frameHandler).
func (t *wsTransport) message(op byte, payload []byte) {
	// "3" is a pong. One that answers no written ping is dropped: the engine then closes a socket whose
	// pings stay stuck behind a backlog it does not read.
	if op == opText && len(payload) == 1 && payload[0] == '3' && !t.answerPing() {
		t.w.metrics.unsolicitedPongs.Inc()
		return
	}
	var data types.BufferInterface
	if op == opText {
		data = types.NewStringBuffer(slices.Clone(payload))
	} else {
		data = types.NewBytesBuffer(slices.Clone(payload))
	}
	if !t.hop {
		t.OnData(data)
		return
	}
	// The engine and the library run deep call chains on it (a CONNECT runs the whole namespace set-up); on a
	// long-lived reader they would grow its stack for good.
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.OnData(data)
	}()
	<-done
}

// control is a websocket ping or pong from the client (frameHandler): a ping is answered, a pong ignored
// (engine.io keeps its own heartbeat in messages).
func (t *wsTransport) control(op byte, payload []byte) {
	if op == opPing {
		t.queue([]outFrame{{b: frameOf(opPong, payload)}})
	}
}
