package socketio

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// poller is an epoll set that idle websockets wait in for their clients to write: a socket registers once,
// for one readiness at a time (EPOLLONESHOT), and each time its client writes, a short-lived goroutine reads
// what came (wsTransport.readable) and registers it again. The poller's goroutine waits in the runtime's own
// network poller (the epoll descriptor is itself pollable), so it holds no thread while nothing happens.
//
// The set's entries carry an id of the poller's, not the descriptor: a descriptor closed and reused by a new
// connection cannot be mistaken for the old one by an event already on its way.
type poller struct {
	epfd int
	file *os.File
	rc   syscall.RawConn

	mu    sync.Mutex
	socks map[uint64]*wsTransport
	next  uint64

	quit chan struct{}
	wg   sync.WaitGroup
}

var errPollerClosed = errors.New("socket closed before it could wait in a poller")

// pollEvents: readable, or the peer hung up (errors and hang-ups always wake a set's waiter); once.
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

func newPoller(onIdle func(*wsTransport)) (*poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	p := &poller{epfd: fd, file: f, rc: rc, socks: map[uint64]*wsTransport{}, quit: make(chan struct{})}
	p.wg.Go(p.run)
	p.wg.Go(func() { p.sweep(onIdle) })
	return p, nil
}

// add puts a transport in the set: from now on its client's writes are read by the poller's goroutines.
func (p *poller) add(t *wsTransport) error {
	p.mu.Lock()
	p.next++
	id := p.next
	p.mu.Unlock()
	t.mu.Lock() // ordered with hangUp, which forgets it here once closed
	if t.closed {
		t.mu.Unlock()
		return errPollerClosed
	}
	t.pl, t.pollID = p, id
	t.mu.Unlock()
	p.mu.Lock()
	p.socks[id] = t
	p.mu.Unlock()
	if err := p.arm(t, syscall.EPOLL_CTL_ADD); err != nil {
		p.remove(t)
		return err
	}
	return nil
}

// arm registers t's descriptor for its next readiness.
func (p *poller) arm(t *wsTransport, op int) error {
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(uint32(t.pollID)), Pad: int32(uint32(t.pollID >> 32))}
	var err error
	if cerr := t.raw.Control(func(fd uintptr) { err = syscall.EpollCtl(p.epfd, op, int(fd), &ev) }); cerr != nil {
		return cerr // the connection is closed
	}
	return err
}

// remove forgets a transport about to close its connection; closing the descriptor takes it out of the set.
func (p *poller) remove(t *wsTransport) {
	p.mu.Lock()
	delete(p.socks, t.pollID)
	p.mu.Unlock()
}

// run waits for readiness and hands each ready socket to a goroutine of its own, until close.
func (p *poller) run() {
	events := make([]syscall.EpollEvent, 256)
	ready := make([]*wsTransport, 0, len(events))
	for {
		var n int
		var werr error
		err := p.rc.Read(func(fd uintptr) bool {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			if werr == syscall.EINTR {
				n, werr = 0, nil
				return true
			}
			return n > 0 || werr != nil // false: the runtime waits until the set has an event
		})
		if err != nil || werr != nil {
			return // closed
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if t := p.socks[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; t != nil {
				ready = append(ready, t)
			}
		}
		p.mu.Unlock()
		for i, t := range ready {
			go t.readable()
			ready[i] = nil
		}
		ready = ready[:0]
	}
}

// sweep closes sockets that sent nothing for their idle timeout (the engine's ping timeout usually comes
// first: this is the backstop a blocking read's deadline is elsewhere).
func (p *poller) sweep(onIdle func(*wsTransport)) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var idle []*wsTransport
	for {
		select {
		case <-p.quit:
			return
		case now := <-tick.C:
			p.mu.Lock()
			for _, t := range p.socks {
				if t.idle > 0 && now.UnixNano()-t.lastRead.Load() > int64(t.idle) {
					idle = append(idle, t)
				}
			}
			p.mu.Unlock()
			for i, t := range idle {
				onIdle(t)
				idle[i] = nil
			}
			idle = idle[:0]
		}
	}
}

// close stops the poller's goroutines; the sockets in it are closed by their writers.
func (p *poller) close() {
	close(p.quit)
	_ = p.file.Close()
	p.wg.Wait()
}

// readable reads what t's client wrote, then waits for more (from the poller's goroutine). One readiness is
// handled at a time (the registration is one-shot); rmu also tells the race detector so.
func (t *wsTransport) readable() {
	t.rmu.Lock()
	again := t.readFrom(t.readNow)
	t.rmu.Unlock()
	if again {
		if err := t.pl.arm(t, syscall.EPOLL_CTL_MOD); err != nil {
			t.abort(closePollError) // closed meanwhile: a no-op; otherwise it cannot be read any more
		}
	}
}
