package socketio

import (
	"context"
	"sync"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/scalechat/scalechat/core"
)

// conn is one authenticated socket: its user, the conversation rooms it is in, and a queue that runs its
// requests one at a time, in order, off the library's read loop (a send waits for the sequencer).
type conn struct {
	srv    *Server
	sock   *socket.Socket
	userID string
	id     string // presence connection id: node/socket id

	mu         sync.Mutex
	convs      map[string]struct{}
	userJoined bool
	closed     bool

	work     chan func()
	inflight chan struct{} // sends submitted and awaiting their seq
	done     chan struct{}
}

func newConn(srv *Server, sock *socket.Socket, userID string) *conn {
	return &conn{srv: srv, sock: sock, userID: userID, id: srv.cfg.Node + "/" + string(sock.Id()),
		convs: map[string]struct{}{}, work: make(chan func(), srv.cfg.QueueDepth),
		inflight: make(chan struct{}, srv.cfg.QueueDepth), done: make(chan struct{})}
}

// run executes queued requests until the connection closes.
func (c *conn) run() {
	for {
		select {
		case fn := <-c.work:
			fn()
		case <-c.done:
			return
		}
	}
}

// enqueue queues a request; false when the queue is full or the connection closed.
func (c *conn) enqueue(fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	select {
	case c.work <- fn:
		return true
	default:
		return false
	}
}

// The methods below hold c.mu across their hub calls so that set-up, membership changes and close never
// interleave: once closed, a connection holds no topic.

// joinUser puts the socket in its user's room and subscribes this node to the user's topic.
func (c *conn) joinUser(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.userJoined {
		return nil
	}
	topic := core.UserTopic(c.userID)
	if err := c.srv.hub.acquire(ctx, topic); err != nil {
		return err
	}
	c.userJoined = true
	c.sock.Join(socket.Room(topic))
	return nil
}

// join puts the socket in conversation rooms and subscribes this node to their topics.
func (c *conn) join(ctx context.Context, conversationIDs ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var topics []string
	for _, id := range conversationIDs {
		if _, ok := c.convs[id]; !ok {
			topics = append(topics, core.ConversationTopic(id))
		}
	}
	if len(topics) == 0 {
		return nil
	}
	if err := c.srv.hub.acquire(ctx, topics...); err != nil {
		return err
	}
	rooms := make([]socket.Room, len(topics))
	for i, t := range topics {
		rooms[i] = socket.Room(t)
	}
	for _, id := range conversationIDs {
		c.convs[id] = struct{}{}
	}
	c.sock.Join(rooms...)
	return nil
}

// leave takes the socket out of a conversation's room.
func (c *conn) leave(ctx context.Context, conversationID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.convs[conversationID]; !ok || c.closed {
		return nil
	}
	delete(c.convs, conversationID)
	topic := core.ConversationTopic(conversationID)
	c.sock.Leave(socket.Room(topic))
	return c.srv.hub.release(ctx, topic)
}

// close stops the queue and releases every topic the connection held.
func (c *conn) close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	var topics []string
	if c.userJoined {
		topics = append(topics, core.UserTopic(c.userID))
	}
	for id := range c.convs {
		topics = append(topics, core.ConversationTopic(id))
	}
	c.convs = nil
	return c.srv.hub.release(ctx, topics...)
}
