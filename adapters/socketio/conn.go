package socketio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// conn is one authenticated socket: its user, the rooms it is in, and a queue that runs its requests (and
// membership changes) one at a time, in order, off the library's goroutines. The queue's goroutine exists
// only while there is work: an idle connection costs no goroutine of its own.
type conn struct {
	srv     *Server
	sock    *socket.Socket
	eio     engine.Socket
	userID  string
	id      string // presence connection id: node/socket id
	session string // token hash of the session that authenticated it
	addr    string // the client's address, as the per-address limits see it ("" when unknown)

	mu      sync.Mutex
	topics  map[string]struct{} // rooms joined
	closed  bool
	expiry  *time.Timer // ends the connection when its session expires
	work    []func()
	running bool

	inflight   chan struct{} // sends submitted and awaiting their seq
	backlog    atomic.Int64  // packets in the engine's write buffer (grows only on long-polling)
	overflowed atomic.Bool
}

func newConn(srv *Server, sock *socket.Socket, userID string) *conn {
	return &conn{srv: srv, sock: sock, eio: sock.Conn(), userID: userID, id: srv.cfg.Node + "/" + string(sock.Id()),
		topics: map[string]struct{}{}, inflight: make(chan struct{}, srv.cfg.QueueDepth)}
}

// enqueue queues a client request; false when QueueDepth requests are waiting or the connection closed.
func (c *conn) enqueue(fn func()) bool { return c.queue(fn, false) }

// enqueueControl queues work of the server's own (set-up, membership changes): it is never refused for depth.
func (c *conn) enqueueControl(fn func()) bool { return c.queue(fn, true) }

func (c *conn) queue(fn func(), control bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || (!control && len(c.work) >= c.srv.cfg.QueueDepth) {
		return false
	}
	c.work = append(c.work, fn)
	if !c.running {
		c.running = true
		c.srv.wg.Add(1) // under c.mu, before close: Server.Close waits for it
		go c.run()
	}
	return true
}

// endsAt runs end at t (the session's expiry), unless the connection closed before.
func (c *conn) endsAt(t time.Time, end func()) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.expiry = time.AfterFunc(time.Until(t), end)
	}
}

// run executes queued work until none is left.
func (c *conn) run() {
	defer c.srv.wg.Done()
	for {
		c.mu.Lock()
		if len(c.work) == 0 || c.closed {
			c.work, c.running = nil, false
			c.mu.Unlock()
			return
		}
		fn := c.work[0]
		c.work[0] = nil
		c.work = c.work[1:]
		c.mu.Unlock()
		fn()
	}
}

// join puts the connection in topics' rooms and returns once this node receives them (or ctx ends).
func (c *conn) join(ctx context.Context, topics ...string) error {
	if fresh := c.enter(topics...); len(fresh) > 0 {
		return c.srv.hub.subs.ready(ctx, fresh...)
	}
	return nil
}

// enter puts the connection in topics' rooms without waiting for their subscription, and returns those it
// was not in. Holding c.mu orders it with close: once closed, a connection is in no room.
func (c *conn) enter(topics ...string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var fresh []string
	for _, t := range topics {
		if _, in := c.topics[t]; !in {
			c.topics[t] = struct{}{}
			fresh = append(fresh, t)
		}
	}
	c.srv.hub.enter(c, fresh...)
	return fresh
}

// leave takes the connection out of a topic's room.
func (c *conn) leave(topic string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, in := c.topics[topic]; !in || c.closed {
		return
	}
	delete(c.topics, topic)
	c.srv.hub.exit(c, topic)
}

// close drops queued work and leaves every room; false when it was closed already.
func (c *conn) close() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	c.work = nil
	if c.expiry != nil {
		c.expiry.Stop()
	}
	topics := make([]string, 0, len(c.topics))
	for t := range c.topics {
		topics = append(topics, t)
	}
	c.topics = nil
	c.srv.hub.exit(c, topics...)
	return true
}

// deliver queues a broadcast packet. On the websocket transport the shared frame is appended to the socket's
// queue and the transport, when it needs its flusher, is added to b; otherwise (long-polling, or an upgrade
// the engine has not written through yet) the packet goes through the library, bounded by MaxOutboundFrames.
func (c *conn) deliver(p encoded, b *flushBatch) {
	if t, ok := c.eio.Transport().(*wsTransport); ok && t.live.Load() {
		if schedule, _ := t.push(outFrame{b: p.frame}); schedule {
			b.add(t)
		}
		return
	}
	if c.backlog.Load() >= int64(c.srv.cfg.MaxOutboundFrames) {
		c.srv.metrics.dropped.WithLabelValues(closeOverflow).Inc()
		if c.overflowed.CompareAndSwap(false, true) {
			go c.overflow()
		}
		return
	}
	c.sock.Client().WriteToEngine([]types.BufferInterface{p.poll()}, &socket.WriteOptions{})
}

// overflow closes a long-polling socket that does not keep up.
func (c *conn) overflow() {
	c.srv.metrics.closed.WithLabelValues(closeOverflow).Inc()
	c.srv.log.Info("closing a socket that does not keep up", "reason", closeOverflow, "transport", "polling",
		"user", c.userID)
	c.eio.Close(true)
}
