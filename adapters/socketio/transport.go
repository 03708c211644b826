package socketio

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// wsTransport is this server's engine.io websocket transport, plugged into the library through its public
// transport extension point (a TransportCtor in the server options, built on transports.MakeTransport and
// StartReader). The library keeps the protocol: handshake, heartbeats, long-polling and the upgrade from it,
// acks, namespaces. What differs from its own websocket transport is what a chat server at scale needs:
//
//   - Every write is queued on the socket, bounded in bytes and frames; a socket over its bound is closed (it
//     resumes later with sync) instead of making the node hold its backlog.
//   - Queues are written by a few shared flushers (see writer.go) with non-blocking writev: under load many
//     frames go out in one system call, and an idle socket has no writer goroutine. A socket whose kernel
//     buffer is full gets a goroutine of its own, with a write deadline, so it never holds up the others.
//   - Broadcasts skip the engine's per-packet work: a frame encoded once is appended, shared, to each queue.
//   - A pong counts only when it answers a ping that was written: a client that stops reading cannot keep
//     itself alive by sending unsolicited pongs.
type wsTransport struct {
	transports.Transport

	ws   *types.WebSocketConn // until the reader starts (see startReading)
	conn net.Conn
	raw  syscall.RawConn // nil when the connection has no descriptor: then every write takes the slow path
	idle time.Duration
	w    *writers
	fl   *flusher

	// armed: the engine may write through this transport (it is the socket's first one, or the upgrade to
	// it completed); live: it has, so broadcasts may append frames directly and keep the engine's order.
	armed    atomic.Bool
	live     atomic.Bool
	pingsOut atomic.Int32 // pings written to the client whose pongs are not back yet
	pingAt   atomic.Int64 // when the last ping was taken for writing (unix nanoseconds), for diagnosis

	// The read side (reading.go): what one read left for the next, when the client last wrote (unix
	// nanoseconds), and the poller the socket waits in (nil: a reader goroutine of its own, which then hands
	// each message to the engine on a goroutine of its own: hop).
	fr       frameReader
	rmu      sync.Mutex // held while reading
	lastRead atomic.Int64
	pl       *poller // set under mu
	pollID   uint64
	hop      bool

	mu       sync.Mutex
	q        []outFrame // waiting to be written
	held     []outFrame // queued while holding: not written until release
	holding  bool       // set by hold, cleared by release (or a close)
	spare    []outFrame // the other buffer: q and spare swap at every flush
	bytes    int        // bytes in q (and in a write under way)
	state    writeState
	closing  bool           // the engine asked to close: write what is queued, then close
	closeAs  string         // the close reason when it is not the engine's (a client's close frame)
	closed   bool           // the connection is closed; nothing is queued any more
	onClosed types.Callable // the engine's close callback, called once closed
}

// outFrame is one queued websocket frame. Broadcast frames are shared between sockets and never modified.
type outFrame struct {
	b     []byte
	drain bool // the last frame of one engine Send: the engine hears "drain" once it is written
	ping  bool // an engine.io ping
}

// writeState says who may write a transport's queue; exactly one writer runs at a time.
type writeState uint8

const (
	stateIdle      writeState = iota // nothing queued, or queued and about to be scheduled by the caller
	stateScheduled                   // in its flusher's ready list
	stateFlushing                    // its flusher is writing it
	stateSlow                        // its kernel buffer was full: its own goroutine writes, blocking
)

// Reasons a socket's connection is closed (the reason label of scalechat_socket_closed_total).
const (
	closeClient       = "client"            // the client closed it (a close frame, or end of stream)
	closeReadError    = "read_error"        // a read failed (a reset connection, or a fault of ours)
	closePollError    = "poll_error"        // the socket could not be put back in its epoll set
	closeServer       = "server"            // the engine closed it (disconnect, ping timeout, shutdown)
	closeIdle         = "idle_timeout"      // nothing was read for the engine's idle timeout
	closeOverflow     = "outbound_overflow" // over its outbound bound: a client that does not keep up
	closeWriteTimeout = "write_timeout"     // a write did not finish within WriteTimeout
	closeWriteError   = "write_error"       // a write failed
	closeTooBig       = "message_too_big"   // the client sent a message over MaxPayloadBytes
	closeProtocol     = "protocol_error"    // the client broke the websocket protocol
	closeBadText      = "invalid_utf8"      // the client sent a text message that is not UTF-8
)

// wsBuilder makes the transports; the engine calls New for every websocket connection.
type wsBuilder struct{ w *writers }

func (b *wsBuilder) Name() string          { return transports.WEBSOCKET }
func (b *wsBuilder) HandlesUpgrades() bool { return true }
func (b *wsBuilder) UpgradesTo() []string  { return nil }

// New builds the transport of one websocket connection, ctx.Websocket, already upgraded by the engine.
func (b *wsBuilder) New(ctx *types.HttpContext) transports.Transport {
	t := &wsTransport{Transport: transports.MakeTransport(), ws: ctx.Websocket, idle: ctx.IdleTimeout, w: b.w,
		fl: b.w.next()}
	t.Prototype(t)
	t.Construct(ctx)
	return t
}

// Construct prepares the transport and starts its reader.
func (t *wsTransport) Construct(ctx *types.HttpContext) {
	t.Transport.Construct(ctx)
	t.conn = t.ws.UnderlyingConn()
	if sc, ok := t.conn.(syscall.Conn); ok && haveWritev {
		if raw, err := sc.SyscallConn(); err == nil {
			t.raw = raw
		}
	}
	// A connection without a session id is a socket's first transport: the engine writes through it from
	// the start. An upgrade is armed once it completes (Server.connected listens for it).
	t.armed.Store(ctx.Query().Peek("sid") == "")
	t.SetWritable(true) // always: Send only queues
	t.w.track(t)
	transports.StartReader(t, ctx.TransportReadPermission(), t.startReading)
}

// Name is the transport's name in the protocol.
func (t *wsTransport) Name() string { return transports.WEBSOCKET }

// HandlesUpgrades advertises that a polling socket may upgrade to this transport.
func (t *wsTransport) HandlesUpgrades() bool { return true }

// answerPing takes a pong as the answer to a ping written; false when no ping is waiting for one.
func (t *wsTransport) answerPing() bool {
	for {
		n := t.pingsOut.Load()
		if n <= 0 {
			return false
		}
		if t.pingsOut.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// Send queues packets written by the engine (handshake, pings, acks, the library's emits).
func (t *wsTransport) Send(packets []*packet.Packet) {
	if t.armed.Load() {
		t.live.Store(true)
	}
	frames := make([]outFrame, 0, len(packets))
	for _, p := range packets {
		var data types.BufferInterface
		if p.Options != nil && p.Options.WsPreEncodedFrame != nil {
			data = p.Options.WsPreEncodedFrame
		} else {
			var err error
			if data, err = t.Parser().EncodePacket(p, t.SupportsBinary()); err != nil {
				t.OnError("encoding a packet", err)
				return
			}
		}
		op := byte(opBinary)
		if _, ok := data.(*types.StringBuffer); ok {
			op = opText
		}
		frames = append(frames, outFrame{b: frameOf(op, data.Bytes()), ping: p.Type == packet.PING})
	}
	if len(frames) == 0 {
		return
	}
	frames[len(frames)-1].drain = true
	if len(frames) == 1 && frames[0].ping {
		// The engine writes a ping before it arms the timeout that the pong clears (servers/engine v3.0.6,
		// socket.go, schedulePing). A pong back in between clears nothing, and the socket is closed 20 s later
		// for a ping timeout although it answered: our flushers write at once, and loopback answers in
		// microseconds (seen once per 10,000 sockets a minute, under load). The ping waits a moment, for the
		// engine to arm its timeout first.
		time.AfterFunc(pingHold(t.w.cfg.PingTimeout), func() { t.queue(frames) })
		return
	}
	t.queue(frames)
}

// pingHold is how long a ping waits before it is queued (see Send).
func pingHold(timeout time.Duration) time.Duration { return min(100*time.Millisecond, timeout/10) }

// queue queues frames of the engine's and hands the transport to its flusher when it needs it.
func (t *wsTransport) queue(frames []outFrame) {
	if schedule, _ := t.push(frames...); schedule {
		t.fl.schedule(t)
	}
}

// push queues frames. schedule reports that the caller must hand the transport to its flusher; ok is false
// when the transport is closed, or was closed now for going over its bound. It never calls back into the
// engine: the close of an overflowing socket runs on a goroutine of its own, since callers may hold locks
// that the engine's disconnect handlers take.
func (t *wsTransport) push(frames ...outFrame) (schedule, ok bool) {
	n := 0
	for _, f := range frames {
		n += len(f.b)
	}
	t.mu.Lock()
	if t.closed || t.closing {
		t.mu.Unlock()
		return false, false
	}
	// A single packet larger than the bound still goes to a socket that has nothing queued (a big sync ack).
	if (t.bytes > 0 && t.bytes+n > t.w.cfg.MaxOutboundBytes) ||
		len(t.q)+len(t.held)+len(frames) > t.w.cfg.MaxOutboundFrames {
		lost := len(t.q) + len(t.held) + len(frames)
		t.shutLocked()
		t.mu.Unlock()
		t.w.metrics.dropped.WithLabelValues(closeOverflow).Add(float64(lost))
		go t.hangUp(closeOverflow)
		return false, false
	}
	t.bytes += n
	if t.holding {
		t.held = append(t.held, frames...)
		t.mu.Unlock()
		return false, true
	}
	t.q = append(t.q, frames...)
	if t.state == stateIdle {
		t.state, schedule = stateScheduled, true
	}
	t.mu.Unlock()
	return schedule, true
}

// hold keeps what is queued from now on (the Socket.IO CONNECT first) unwritten until release: the server
// writes a socket's CONNECT only once the socket is in its rooms, and the client cannot send a request before
// its handlers are registered (the library files a socket only after writing its CONNECT, and closes a client
// whose packet arrives in between: servers/socket v3.0.6, namespace.go _doConnect, client.go _onpacket).
func (t *wsTransport) hold() {
	t.mu.Lock()
	if !t.closed && !t.closing {
		t.holding = true
	}
	t.mu.Unlock()
}

// release writes what was held, in order, and lets later frames through; a no-op when not holding.
func (t *wsTransport) release() {
	t.mu.Lock()
	schedule := t.releaseLocked()
	t.mu.Unlock()
	if schedule {
		t.fl.schedule(t)
	}
}

// releaseLocked ends holding under t.mu; true when the caller must hand the transport to its flusher.
func (t *wsTransport) releaseLocked() (schedule bool) {
	if !t.holding {
		return false
	}
	t.holding = false
	t.q = append(t.q, t.held...)
	t.held = nil
	if t.state == stateIdle && len(t.q) > 0 {
		t.state = stateScheduled
		return true
	}
	return false
}

// take moves the queue out for writing; pings in it are on their way from now on (a fast client may answer
// before the write returns).
func (t *wsTransport) take() []outFrame {
	frames := t.q
	t.q, t.spare = t.spare, nil
	for _, f := range frames {
		if f.ping {
			t.pingsOut.Add(1)
			t.pingAt.Store(time.Now().UnixNano())
		}
	}
	return frames
}

// diagnose describes the transport's write side, for the log of a socket lost to a ping timeout: whether the
// ping left the server (then the client did not answer) or was still queued.
func (t *wsTransport) diagnose() []any {
	t.mu.Lock()
	queued, bytes, state := len(t.q)+len(t.held), t.bytes, t.state
	t.mu.Unlock()
	since := "never"
	if at := t.pingAt.Load(); at > 0 {
		since = time.Since(time.Unix(0, at)).Round(time.Millisecond).String()
	}
	return []any{"pings_out", t.pingsOut.Load(), "ping_taken_ago", since, "queued_frames", queued,
		"queued_bytes", bytes, "write_state", state}
}

// written tells the engine about frames written: one drain per engine Send.
func (t *wsTransport) written(frames []outFrame) {
	for _, f := range frames {
		if f.drain {
			t.Emit("drain")
		}
	}
}

// slowWrite writes the queue with blocking writes, each within WriteTimeout, until it is empty; then the
// transport goes back to its flusher. It runs on a goroutine of its own.
func (t *wsTransport) slowWrite() {
	defer t.w.slow.Add(-1)
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return
		}
		if len(t.q) == 0 {
			t.state = stateIdle
			done := t.closing
			t.mu.Unlock()
			if done {
				t.finish()
			}
			return
		}
		frames := t.take()
		t.mu.Unlock()

		bufs := make(net.Buffers, len(frames))
		for i, f := range frames {
			bufs[i] = f.b
		}
		_ = t.conn.SetWriteDeadline(time.Now().Add(t.w.cfg.WriteTimeout))
		n, err := bufs.WriteTo(t.conn)
		t.mu.Lock()
		t.bytes -= int(n)
		t.mu.Unlock()
		if err != nil {
			reason := closeWriteError
			if errors.Is(err, os.ErrDeadlineExceeded) {
				reason = closeWriteTimeout
			}
			t.abort(reason)
			return
		}
		t.written(frames)
	}
}

// DoClose is the engine closing the transport: what is queued (a disconnect packet, say) is written first,
// within the write timeout, then the connection closes and fn runs.
func (t *wsTransport) DoClose(fn types.Callable) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		if fn != nil {
			fn()
		}
		return
	}
	t.closing, t.onClosed = true, fn
	schedule := t.releaseLocked() // what was held (a disconnect packet, say) goes out before the close
	now := t.state == stateIdle && len(t.q) == 0
	t.mu.Unlock()
	if schedule {
		t.fl.schedule(t)
	}
	if now {
		t.finish()
	}
}

// finish closes a drained transport on the engine's request.
func (t *wsTransport) finish() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.shutLocked()
	fn, reason := t.onClosed, t.closeAs
	t.mu.Unlock()
	if reason == "" {
		reason = closeServer
	}
	t.hangUp(reason)
	if fn != nil {
		fn()
	}
}

// abort closes the connection at once, dropping what is queued.
func (t *wsTransport) abort(reason string) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.shutLocked()
	t.mu.Unlock()
	t.hangUp(reason)
}

// closeFromClient closes the connection of a client that sent a close frame, broke the protocol or sent too
// much: what is queued for it is dropped, frame (the close frame that answers it) goes out after whatever is
// being written, and then the connection closes, counted under reason.
func (t *wsTransport) closeFromClient(reason string, frame []byte) {
	t.mu.Lock()
	if t.closed || t.closing {
		t.mu.Unlock()
		t.abort(reason)
		return
	}
	for _, f := range t.q {
		t.bytes -= len(f.b)
	}
	for _, f := range t.held {
		t.bytes -= len(f.b)
	}
	clear(t.q)
	t.q = append(t.q[:0], outFrame{b: frame})
	t.bytes += len(frame)
	t.held, t.holding = nil, false
	t.closing, t.closeAs = true, reason
	schedule := false
	if t.state == stateIdle {
		t.state, schedule = stateScheduled, true
	}
	t.mu.Unlock()
	if schedule {
		t.fl.schedule(t)
	}
}

// isClosed reports whether the connection is closed.
func (t *wsTransport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// shutLocked marks the transport closed and drops its queue; the caller holds t.mu, then calls hangUp.
func (t *wsTransport) shutLocked() {
	t.closed, t.holding = true, false
	t.q, t.spare, t.held, t.bytes = nil, nil, nil, 0
}

// hangUp closes the connection of a transport just shut, and tells the engine.
func (t *wsTransport) hangUp(reason string) {
	t.w.untrack(t)
	t.mu.Lock()
	pl := t.pl
	t.mu.Unlock()
	if pl != nil {
		pl.remove(t)
	}
	t.w.metrics.closed.WithLabelValues(reason).Inc()
	if reason == closeOverflow || reason == closeWriteTimeout {
		t.w.log.Info("closing a socket that does not keep up", "reason", reason,
			"remote", t.conn.RemoteAddr().String())
	}
	_ = t.conn.Close() // the reader then ends
	t.OnClose()        // the engine closes the socket
}
