package socketio

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/scalechat/scalechat/ports"
)

// subscriptions keeps this node's fan-out subscription in line with the topics its sockets need. Rooms say
// what is wanted (want, unwant: instant, under the caller's lock); one goroutine makes it so, batching the
// joins and leaves of many connections into few round trips (a reconnect storm costs a handful of SUBSCRIBEs,
// not one per socket). Nothing else ever waits on the fan-out while holding a lock: a connection that needs a
// topic waits for it (ready) on its own goroutine. A topic no longer wanted stays subscribed for linger, so
// that a room emptied by a reconnect does not unsubscribe and subscribe again.
type subscriptions struct {
	sub    ports.Subscription
	linger time.Duration
	log    *slog.Logger

	mu     sync.Mutex
	topics map[string]*topicState
	dirty  map[string]struct{} // topics to decide on now: wanted anew, or just settled
	// lingering are the topics let go, in the order they were: each is left once it has been unwanted for
	// linger (unless wanted again meanwhile). Only its front is looked at, on every tick.
	lingering []lingerEntry
	kick      chan struct{}
	quit      chan struct{}
	done      chan struct{}
}

// topicState is one topic's subscription. The next change is decided from want, subscribed and busy.
type topicState struct {
	want       bool
	subscribed bool          // confirmed by the fan-out: envelopes published from then on arrive
	busy       bool          // a join or leave of it is under way
	ready      chan struct{} // closed when subscribed (and not being left)
	unwanted   time.Time     // when want last became false
}

// lingerEntry is one topic let go at a time.
type lingerEntry struct {
	topic string
	at    time.Time
}

// Bounds of the reconciler: topics per Join/Leave call, and how long one may take before it is retried.
const (
	subBatch   = 1000
	subTimeout = 10 * time.Second
	subRetry   = 500 * time.Millisecond
)

func newSubscriptions(sub ports.Subscription, linger time.Duration, log *slog.Logger) *subscriptions {
	s := &subscriptions{sub: sub, linger: linger, log: log, topics: map[string]*topicState{},
		dirty: map[string]struct{}{}, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// want marks topics needed. It never blocks; ready tells when they are subscribed.
func (s *subscriptions) want(topics ...string) {
	s.mu.Lock()
	for _, t := range topics {
		st := s.topics[t]
		if st == nil {
			st = &topicState{ready: make(chan struct{})}
			s.topics[t] = st
		}
		st.want = true
		s.dirty[t] = struct{}{}
	}
	s.mu.Unlock()
	s.poke()
}

// unwant marks topics no longer needed; they are left after the linger time.
func (s *subscriptions) unwant(topics ...string) {
	now := time.Now()
	s.mu.Lock()
	for _, t := range topics {
		if st := s.topics[t]; st != nil && st.want {
			st.want, st.unwanted = false, now
			s.lingering = append(s.lingering, lingerEntry{topic: t, at: now})
		}
	}
	s.mu.Unlock()
	s.poke()
}

// ready returns once every topic (each wanted) is subscribed, or with ctx's error.
func (s *subscriptions) ready(ctx context.Context, topics ...string) error {
	for _, t := range topics {
		for {
			s.mu.Lock()
			st := s.topics[t]
			if st == nil || (st.subscribed && !st.busy) {
				s.mu.Unlock()
				break
			}
			ch := st.ready
			s.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			case <-s.quit:
				return context.Canceled
			}
		}
	}
	return nil
}

// count is how many topics are subscribed (for metrics).
func (s *subscriptions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range s.topics {
		if st.subscribed {
			n++
		}
	}
	return n
}

// close stops the reconciler and the subscription.
func (s *subscriptions) close() error {
	close(s.quit)
	<-s.done
	return s.sub.Close()
}

func (s *subscriptions) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *subscriptions) run() {
	defer close(s.done)
	tick := time.NewTicker(subRetry)
	defer tick.Stop()
	for {
		select {
		case <-s.kick:
		case <-tick.C:
		case <-s.quit:
			return
		}
		for s.step() {
		}
	}
}

// step makes one batch of joins and one of leaves; true when there may be more to do at once.
func (s *subscriptions) step() bool {
	joins, leaves := s.plan()
	if len(joins) == 0 && len(leaves) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), subTimeout)
	defer cancel()
	if len(joins) > 0 {
		err := s.sub.Join(ctx, joins...)
		if err != nil {
			s.log.Warn("fan-out: subscribing", "topics", len(joins), "err", err)
		}
		s.settle(joins, err == nil, true)
		if err != nil {
			return false // retried on the next tick
		}
	}
	if len(leaves) > 0 {
		err := s.sub.Leave(ctx, leaves...)
		if err != nil {
			s.log.Warn("fan-out: unsubscribing", "topics", len(leaves), "err", err)
		}
		s.settle(leaves, err == nil, false)
	}
	return true
}

// plan picks topics to join (wanted, not subscribed) and to leave (unwanted for linger, subscribed) and marks
// them busy. It looks only at the topics just wanted or settled (dirty) and at the front of the lingering
// queue, so that a storm of connections costs each step the topics it brings, not every topic of the node.
func (s *subscriptions) plan() (joins, leaves []string) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.dirty {
		if len(joins) == subBatch {
			break
		}
		delete(s.dirty, t)
		st := s.topics[t]
		switch {
		case st == nil || st.busy: // settle marks it dirty again
		case st.want && !st.subscribed:
			st.busy = true
			joins = append(joins, t)
		case !st.want && !st.subscribed:
			delete(s.topics, t)
		case !st.want: // subscribed, let go meanwhile: it lingers
			s.lingering = append(s.lingering, lingerEntry{topic: t, at: st.unwanted})
		}
	}
	n := 0
	for _, e := range s.lingering {
		if now.Sub(e.at) < s.linger || len(leaves) == subBatch {
			break
		}
		n++
		st := s.topics[e.topic]
		switch {
		case st == nil || st.want || !st.unwanted.Equal(e.at): // wanted again, or let go again later
		case st.busy:
			s.dirty[e.topic] = struct{}{}
		case st.subscribed:
			st.busy = true
			st.ready = make(chan struct{}) // from now on, a new reader waits for the topic to be joined again
			leaves = append(leaves, e.topic)
		default:
			delete(s.topics, e.topic)
		}
	}
	if n > 0 {
		s.lingering = append(s.lingering[:0:0], s.lingering[n:]...)
	}
	return joins, leaves
}

// settle records the outcome of a join (joined) or a leave of topics.
func (s *subscriptions) settle(topics []string, ok, joined bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range topics {
		st := s.topics[t]
		st.busy = false
		s.dirty[t] = struct{}{} // its want may have changed meanwhile; plan decides
		switch {
		case joined && ok:
			st.subscribed = true
			close(st.ready)
		case !joined:
			// A failed leave is forgotten as well: the fan-out drops the topic when its connection is renewed,
			// and a stray topic only costs deliveries to an empty room.
			st.subscribed = false
			if !st.want {
				delete(s.topics, t)
			}
		}
	}
}
