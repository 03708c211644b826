package socketio

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
)

// writers is what the websocket transports of one server share: limits, metrics and the flushers that write
// their queues.
type writers struct {
	cfg      Config
	log      *slog.Logger
	metrics  *metrics
	flushers []*flusher
	pollers  []*poller // where idle websockets wait for their clients (none: a reader goroutine per socket)
	rr       atomic.Uint32
	slow     atomic.Int64 // transports being written by a goroutine of their own
	quit     chan struct{}
	wg       sync.WaitGroup

	mu   sync.Mutex
	open map[*wsTransport]struct{} // so that close can hang up what the engine left open
}

func newWriters(cfg Config, m *metrics) *writers {
	w := &writers{cfg: cfg, log: cfg.Logger, metrics: m, quit: make(chan struct{}), open: map[*wsTransport]struct{}{}}
	for i := range cfg.Flushers {
		f := &flusher{w: w, idx: i, wake: make(chan struct{}, 1)}
		f.writeFn = f.writevFD
		w.flushers = append(w.flushers, f)
		w.wg.Go(f.run)
	}
	for range cfg.Pollers {
		p, err := newPoller(func(t *wsTransport) { t.abort(closeIdle) })
		if err != nil {
			w.log.Warn("websockets read by a goroutine each: no poller", "err", err)
			break
		}
		w.pollers = append(w.pollers, p)
	}
	return w
}

// pollerFor is the poller a transport waits in (the one beside its flusher); nil when there is none.
func (w *writers) pollerFor(t *wsTransport) *poller {
	if len(w.pollers) == 0 {
		return nil
	}
	return w.pollers[t.fl.idx%len(w.pollers)]
}

// next assigns a new transport to a flusher, round robin.
func (w *writers) next() *flusher {
	return w.flushers[int(w.rr.Add(1))%len(w.flushers)]
}

func (w *writers) track(t *wsTransport) {
	w.mu.Lock()
	w.open[t] = struct{}{}
	w.mu.Unlock()
}

func (w *writers) untrack(t *wsTransport) {
	w.mu.Lock()
	delete(w.open, t)
	w.mu.Unlock()
}

// sockets is how many websocket transports are open.
func (w *writers) sockets() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.open)
}

// close stops the flushers and hangs up every transport still open (the server is stopping: what they have
// queued is dropped, and clients reconnect elsewhere).
func (w *writers) close() {
	close(w.quit)
	w.wg.Wait()
	for _, p := range w.pollers {
		p.close()
	}
	w.mu.Lock()
	open := make([]*wsTransport, 0, len(w.open))
	for t := range w.open {
		open = append(open, t)
	}
	w.mu.Unlock()
	for _, t := range open {
		t.abort(closeServer)
	}
}

// flusher writes the queues of the transports handed to it, one after the other, with non-blocking writev.
// Writing a queue takes whatever has piled up in it, so the busier the node, the more frames go out per
// system call. A transport whose kernel buffer is full moves to a goroutine of its own (slowWrite).
type flusher struct {
	w     *writers
	idx   int
	mu    sync.Mutex
	ready []*wsTransport
	batch []*wsTransport
	again []*wsTransport
	wake  chan struct{}

	// The writev system call, set up once per flusher so that writing allocates nothing.
	iov     iovecs
	writeFn func(fd uintptr) bool
	n       int
	errno   syscall.Errno
}

// schedule hands transports (each in stateScheduled) to the flusher.
func (f *flusher) schedule(ts ...*wsTransport) {
	f.mu.Lock()
	f.ready = append(f.ready, ts...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func (f *flusher) run() {
	for {
		select {
		case <-f.wake:
		case <-f.w.quit:
			return
		}
		for {
			f.mu.Lock()
			f.batch, f.ready = f.ready, f.batch[:0]
			f.mu.Unlock()
			if len(f.batch) == 0 {
				break
			}
			for i, t := range f.batch {
				if f.flush(t) {
					f.again = append(f.again, t)
				}
				f.batch[i] = nil
			}
			if len(f.again) > 0 {
				f.schedule(f.again...)
				clear(f.again)
				f.again = f.again[:0]
			}
		}
	}
}

// flush writes what t has queued; true when more was queued meanwhile (t stays scheduled).
func (f *flusher) flush(t *wsTransport) (again bool) {
	t.mu.Lock()
	if t.state != stateScheduled || t.closed {
		t.mu.Unlock()
		return false
	}
	if t.raw == nil {
		t.state = stateSlow
		t.mu.Unlock()
		t.w.slow.Add(1)
		go t.slowWrite()
		return false
	}
	t.state = stateFlushing
	frames := t.take()
	t.mu.Unlock()

	n, err := f.writev(t.raw, frames)
	f.w.metrics.writes.Inc()
	done, rest := splitWritten(frames, n)
	f.w.metrics.framesWritten.Add(float64(len(done)))
	drains := countDrains(done)

	t.mu.Lock()
	t.bytes -= n
	if t.closed {
		t.mu.Unlock()
		return false
	}
	if err != nil {
		t.mu.Unlock()
		t.abort(closeWriteError)
		return false
	}
	if len(rest) > 0 { // the kernel took only part: the rest, and what follows, go out blocking
		t.q = append(rest, t.q...)
		t.state = stateSlow
		t.mu.Unlock()
		emitDrains(t, drains)
		t.w.slow.Add(1)
		go t.slowWrite()
		return false
	}
	clear(frames)
	if cap(frames) <= 1024 { // keep the buffer for next time, unless a burst made it large
		t.spare = frames[:0]
	}
	again = len(t.q) > 0
	finish := false
	if again {
		t.state = stateScheduled
	} else {
		t.state = stateIdle
		finish = t.closing
	}
	t.mu.Unlock()
	emitDrains(t, drains)
	if finish {
		t.finish()
	}
	return again
}

// maxIov is the most iovecs one writev takes (IOV_MAX on Linux).
const maxIov = 1024

// writev writes frames without blocking and returns how many bytes the kernel took. A full socket buffer is
// not an error: n is then short.
func (f *flusher) writev(raw syscall.RawConn, frames []outFrame) (int, error) {
	total := 0
	for len(frames) > 0 {
		k := min(len(frames), maxIov)
		want := f.iov.set(frames[:k])
		if err := raw.Write(f.writeFn); err != nil {
			return total, err
		}
		switch {
		case f.errno == syscall.EAGAIN:
			return total, nil
		case f.errno != 0:
			return total, f.errno
		}
		total += f.n
		if f.n < want {
			return total, nil
		}
		frames = frames[k:]
	}
	return total, nil
}

// writevFD is the raw write: one writev that never waits (returning true tells the runtime not to wait
// for the descriptor to become writable).
func (f *flusher) writevFD(fd uintptr) bool {
	for {
		n, errno := f.iov.writev(fd)
		if errno == syscall.EINTR {
			continue
		}
		f.n, f.errno = n, errno
		return true
	}
}

// splitWritten separates the frames written in full from the rest (whose first may be partly written).
func splitWritten(frames []outFrame, n int) (done, rest []outFrame) {
	for i := range frames {
		if n < len(frames[i].b) {
			if n > 0 {
				frames[i].b = frames[i].b[n:]
			}
			return frames[:i], frames[i:]
		}
		n -= len(frames[i].b)
	}
	return frames, nil
}

func countDrains(frames []outFrame) int {
	n := 0
	for _, f := range frames {
		if f.drain {
			n++
		}
	}
	return n
}

func emitDrains(t *wsTransport, n int) {
	for range n {
		t.Emit("drain")
	}
}
