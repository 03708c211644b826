package socketio

import (
	"hash/maphash"
	"sync"
)

// hub is this node's registry of connections: by user, and by room. A room is a fan-out topic (conv:<id> or
// user:<id>) with the local connections that read it; the first connection in a room makes the node want the
// topic and the last one out lets it go (see subscriptions). Rooms live in stripes by topic so that joins,
// leaves and broadcasts of different rooms do not contend, and nothing here waits on the network.
type hub struct {
	subs    *subscriptions
	seed    maphash.Seed
	stripes [hubStripes]stripe

	mu     sync.Mutex
	users  map[string][]*conn
	byAddr map[string]int // connections per client address
	count  int
}

const hubStripes = 64

type stripe struct {
	mu    sync.Mutex
	rooms map[string]*room
}

// room is the local readers of one topic. Broadcasts read conns under the read lock.
type room struct {
	mu    sync.RWMutex
	conns []*conn
	at    map[*conn]int // index in conns
}

func newHub(subs *subscriptions) *hub {
	h := &hub{subs: subs, seed: maphash.MakeSeed(), users: map[string][]*conn{}, byAddr: map[string]int{}}
	for i := range h.stripes {
		h.stripes[i].rooms = map[string]*room{}
	}
	return h
}

func (h *hub) stripe(topic string) *stripe {
	return &h.stripes[maphash.String(h.seed, topic)%hubStripes]
}

// room returns topic's room, or nil when no local connection reads it.
func (h *hub) room(topic string) *room {
	st := h.stripe(topic)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rooms[topic]
}

// enter puts c in topics' rooms; a room it opens makes the node want the topic.
func (h *hub) enter(c *conn, topics ...string) {
	for _, t := range topics {
		st := h.stripe(t)
		st.mu.Lock()
		r := st.rooms[t]
		if r == nil {
			r = &room{at: map[*conn]int{}}
			st.rooms[t] = r
			h.subs.want(t) // under the stripe lock, so that it is ordered with the unwant of an exit
		}
		r.mu.Lock()
		if _, in := r.at[c]; !in {
			r.at[c] = len(r.conns)
			r.conns = append(r.conns, c)
		}
		r.mu.Unlock()
		st.mu.Unlock()
	}
}

// exit takes c out of topics' rooms; a room left empty is closed and its topic no longer wanted.
func (h *hub) exit(c *conn, topics ...string) {
	for _, t := range topics {
		st := h.stripe(t)
		st.mu.Lock()
		if r := st.rooms[t]; r != nil {
			r.mu.Lock()
			if i, in := r.at[c]; in {
				last := len(r.conns) - 1
				r.conns[i] = r.conns[last]
				r.at[r.conns[i]] = i
				r.conns[last] = nil
				r.conns = r.conns[:last]
				delete(r.at, c)
			}
			empty := len(r.conns) == 0
			r.mu.Unlock()
			if empty {
				delete(st.rooms, t)
				h.subs.unwant(t)
			}
		}
		st.mu.Unlock()
	}
}

// roomCount is how many rooms have local connections (for metrics).
func (h *hub) roomCount() int {
	n := 0
	for i := range h.stripes {
		st := &h.stripes[i]
		st.mu.Lock()
		n += len(st.rooms)
		st.mu.Unlock()
	}
	return n
}

// add registers c unless its user already holds max connections here.
func (h *hub) add(c *conn, maxPerUser, maxPerAddr int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.users[c.userID]) >= maxPerUser || (c.addr != "" && h.byAddr[c.addr] >= maxPerAddr) {
		return false
	}
	h.users[c.userID] = append(h.users[c.userID], c)
	if c.addr != "" {
		h.byAddr[c.addr]++
	}
	h.count++
	return true
}

// fromAddr is how many connections this node has from a client address.
func (h *hub) fromAddr(addr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byAddr[addr]
}

// remove unregisters c.
func (h *hub) remove(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.users[c.userID]
	for i, x := range cs {
		if x == c {
			cs = append(cs[:i], cs[i+1:]...)
			h.count--
			if c.addr != "" {
				if h.byAddr[c.addr]--; h.byAddr[c.addr] <= 0 {
					delete(h.byAddr, c.addr)
				}
			}
			break
		}
	}
	if len(cs) == 0 {
		delete(h.users, c.userID)
	} else {
		h.users[c.userID] = cs
	}
}

// conns returns the connections of a user on this node.
func (h *hub) conns(userID string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*conn(nil), h.users[userID]...)
}

// connCount is how many connections this node has.
func (h *hub) connCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// all returns every connection.
func (h *hub) all() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*conn, 0, h.count)
	for _, cs := range h.users {
		out = append(out, cs...)
	}
	return out
}
