package socketio

import (
	"context"
	"sync"

	"github.com/scalechat/scalechat/ports"
)

// hub tracks this node's connections by user and the fan-out topics they need. A topic is joined on the
// fan-out subscription when its first local reader appears and left when its last one goes.
type hub struct {
	sub ports.Subscription

	mu    sync.Mutex
	users map[string]map[*conn]struct{}
	refs  map[string]int
}

func newHub(sub ports.Subscription) *hub {
	return &hub{sub: sub, users: map[string]map[*conn]struct{}{}, refs: map[string]int{}}
}

// add registers c unless its user already holds max connections here.
func (h *hub) add(c *conn, max int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.users[c.userID]
	if len(set) >= max {
		return false
	}
	if set == nil {
		set = map[*conn]struct{}{}
		h.users[c.userID] = set
	}
	set[c] = struct{}{}
	return true
}

// remove unregisters c.
func (h *hub) remove(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.users[c.userID], c)
	if len(h.users[c.userID]) == 0 {
		delete(h.users, c.userID)
	}
}

// conns returns the connections of a user on this node.
func (h *hub) conns(userID string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*conn, 0, len(h.users[userID]))
	for c := range h.users[userID] {
		out = append(out, c)
	}
	return out
}

// all returns every connection.
func (h *hub) all() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*conn
	for _, set := range h.users {
		for c := range set {
			out = append(out, c)
		}
	}
	return out
}

// acquire takes a reference on topics, joining those that had none. The lock is held across the
// subscription change so that a concurrent release cannot leave a topic this call is joining.
func (h *hub) acquire(ctx context.Context, topics ...string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var fresh []string
	for _, t := range topics {
		if h.refs[t] == 0 {
			fresh = append(fresh, t)
		}
	}
	if len(fresh) > 0 {
		if err := h.sub.Join(ctx, fresh...); err != nil {
			return err
		}
	}
	for _, t := range topics {
		h.refs[t]++
	}
	return nil
}

// release drops a reference on topics, leaving those that have none left.
func (h *hub) release(ctx context.Context, topics ...string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var gone []string
	for _, t := range topics {
		if h.refs[t] == 0 {
			continue
		}
		h.refs[t]--
		if h.refs[t] == 0 {
			delete(h.refs, t)
			gone = append(gone, t)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return h.sub.Leave(ctx, gone...)
}

// topicCount is how many topics this node is subscribed to (for metrics and tests).
func (h *hub) topicCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.refs)
}
