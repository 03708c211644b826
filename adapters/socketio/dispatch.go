package socketio

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// dispatcher delivers fan-out envelopes to the rooms of this node. The fan-out subscription's handler only
// hands each envelope to a shard, chosen by topic: shards broadcast in parallel, and one topic's envelopes
// keep their publish order. A shard never waits on the network: a broadcast encodes its packet once, appends
// the shared frame to the queue of every socket in the room and hands the sockets to their flushers; joins
// that need a new subscription go to the connection's own queue.
type dispatcher struct {
	srv    *Server
	seed   maphash.Seed
	shards []*shard
	wg     sync.WaitGroup
	quit   chan struct{}
}

// shard is one delivery goroutine and its bounded queue.
type shard struct {
	d     *dispatcher
	queue chan delivery
	batch flushBatch
}

// delivery is one envelope to deliver to topic's room.
type delivery struct {
	topic string
	env   core.Envelope
}

func newDispatcher(s *Server) *dispatcher {
	d := &dispatcher{srv: s, seed: maphash.MakeSeed(), quit: make(chan struct{})}
	for range s.cfg.DeliveryShards {
		sh := &shard{d: d, queue: make(chan delivery, s.cfg.DeliveryQueue),
			batch: flushBatch{by: make([][]*wsTransport, len(s.writers.flushers)), flushers: s.writers.flushers}}
		d.shards = append(d.shards, sh)
		d.wg.Go(sh.run)
	}
	return d
}

// dispatch is the fan-out handler: it queues env on its topic's shard, or drops it (counted) when the shard
// is that far behind; clients heal such gaps with sync. A membership change (published to the user's topic
// right after the conversation's event) goes to the conversation's shard, behind that event: a member who
// leaves is then taken out of the room only after the room got the member.left.
func (d *dispatcher) dispatch(topic string, env core.Envelope) {
	key := topic
	if env.Membership != nil {
		key = core.ConversationTopic(env.Membership.ConversationID)
	}
	sh := d.shards[maphash.String(d.seed, key)%uint64(len(d.shards))]
	select {
	case sh.queue <- delivery{topic: topic, env: env}:
	default:
		d.srv.metrics.dropped.WithLabelValues("dispatch_queue").Inc()
	}
}

// close stops the shards; what they have queued is dropped.
func (d *dispatcher) close() {
	close(d.quit)
	d.wg.Wait()
}

func (sh *shard) run() {
	for {
		select {
		case dl := <-sh.queue:
			sh.handle(dl.topic, dl.env)
		case <-sh.d.quit:
			return
		}
	}
}

func (sh *shard) handle(topic string, env core.Envelope) {
	s := sh.d.srv
	switch {
	case env.Event != nil:
		sh.onEvent(topic, *env.Event)
	case env.Typing != nil:
		t := env.Typing
		// Not echoed: the typist's own sockets are skipped.
		sh.broadcast(topic, "typing", typingOut{ConversationID: t.ConversationID, UserID: t.UserID, Typing: t.Typing}, t.UserID)
	case env.Read != nil:
		r := env.Read
		sh.broadcast(topic, "read", readOut{ConversationID: r.ConversationID, UserID: r.UserID, Seq: r.Seq}, "")
	case env.Presence != nil:
		sh.broadcast(topic, "presence", schema.PresenceOf(*env.Presence), "")
	case env.Membership != nil && strings.HasPrefix(topic, "user:"):
		s.onMembership(*env.Membership)
	case env.Session != nil && strings.HasPrefix(topic, "user:"):
		s.onSessionEnded(*env.Session)
	}
}

// onEvent broadcasts a sequenced event to a conversation's room. A member who joins is put in the room first,
// so that they see their own member.joined; one who leaves gets the member.left before leaving the room. The
// node receives the topic already, so neither waits on the network.
func (sh *shard) onEvent(topic string, e core.Event) {
	s := sh.d.srv
	if e.Type == core.EventMemberJoined && e.Member != nil {
		for _, c := range s.hub.conns(e.Member.UserID) {
			c.enter(topic)
		}
	}
	sh.broadcast(topic, "event", schema.EventOf(e), "")
	if !e.At.IsZero() {
		s.metrics.lag.Observe(time.Since(e.At).Seconds())
	}
	if e.Type == core.EventMemberLeft && e.Member != nil {
		for _, c := range s.hub.conns(e.Member.UserID) {
			c.leave(topic)
		}
	}
}

// broadcast sends the event name(arg) to every connection in topic's room but those of user except.
func (sh *shard) broadcast(topic, name string, arg any, except string) {
	s := sh.d.srv
	r := s.hub.room(topic)
	if r == nil {
		return
	}
	p, err := encodeEvent(name, arg)
	if err != nil {
		s.metrics.dropped.WithLabelValues("encode").Inc()
		s.log.Error("encoding a broadcast", "event", name, "err", err)
		return
	}
	n := 0
	r.mu.RLock()
	for _, c := range r.conns {
		if except != "" && c.userID == except {
			continue
		}
		c.deliver(p, &sh.batch)
		n++
	}
	r.mu.RUnlock()
	sh.batch.schedule()
	s.metrics.deliveries.Add(float64(n))
}

// flushBatch collects, during one broadcast, the transports that need their flusher, so that each flusher is
// woken once per broadcast rather than once per socket.
type flushBatch struct {
	flushers []*flusher
	by       [][]*wsTransport // by flusher index
}

func (b *flushBatch) add(t *wsTransport) { b.by[t.fl.idx] = append(b.by[t.fl.idx], t) }

func (b *flushBatch) schedule() {
	for i, ts := range b.by {
		if len(ts) > 0 {
			b.flushers[i].schedule(ts...)
			clear(ts)
			b.by[i] = ts[:0]
		}
	}
}

// onMembership puts a user's local connections in (or takes them out of) a conversation's room. Joining may
// need a new subscription, so it runs on each connection's own queue.
func (s *Server) onMembership(mc core.MembershipChange) {
	topic := core.ConversationTopic(mc.ConversationID)
	for _, c := range s.hub.conns(mc.UserID) {
		c.enqueueControl(func() {
			if !mc.Joined {
				c.leave(topic)
				return
			}
			ctx, cancel := context.WithTimeout(s.ctx, setUpTimeout)
			defer cancel()
			if err := c.join(ctx, topic); err != nil {
				s.log.Warn("joining a socket to a conversation", "user", mc.UserID, "conversation",
					mc.ConversationID, "err", err)
			}
		})
	}
}
