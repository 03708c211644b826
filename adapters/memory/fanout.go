package memory

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.Fanout       = (*Fanout)(nil)
	_ ports.Subscription = (*subscription)(nil)
)

// DefaultFanoutQueue is how many envelopes may wait for one subscription's handler before new ones are dropped.
const DefaultFanoutQueue = 10000

// Fanout is an in-process ports.Fanout for a single node. Each subscription has its own goroutine and a
// bounded queue, so a publisher never waits for a handler: when a slow handler lets its queue fill up, further
// envelopes for it are dropped and counted (see Dropped); clients heal such gaps by seq, as the port allows.
// Envelopes are shared, not copied, between subscribers: handlers must not modify them.
type Fanout struct {
	queueLimit int
	dropped    atomic.Int64

	mu     sync.RWMutex
	topics map[string]map[*subscription]struct{}
}

// NewFanout returns a fan-out with no subscriptions.
func NewFanout() *Fanout {
	return &Fanout{queueLimit: DefaultFanoutQueue, topics: map[string]map[*subscription]struct{}{}}
}

// Dropped returns how many envelopes were dropped because a subscription's queue was full.
func (f *Fanout) Dropped() int64 { return f.dropped.Load() }

// Publish queues envs for every subscription joined to topic and returns without waiting for handlers.
func (f *Fanout) Publish(ctx context.Context, topic string, envs ...core.Envelope) error {
	return f.PublishAll(ctx, ports.Publication{Topic: topic, Envs: envs})
}

// PublishMany queues envs for every subscription joined to any of topics, topic by topic.
func (f *Fanout) PublishMany(ctx context.Context, topics []string, envs ...core.Envelope) error {
	pubs := make([]ports.Publication, len(topics))
	for i, topic := range topics {
		pubs[i] = ports.Publication{Topic: topic, Envs: envs}
	}
	return f.PublishAll(ctx, pubs...)
}

// PublishAll queues each publication for every subscription joined to its topic, in order, and returns
// without waiting for handlers.
func (f *Fanout) PublishAll(ctx context.Context, pubs ...ports.Publication) error {
	if err := ctx.Err(); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "fanout: publish abandoned")
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, p := range pubs {
		if len(p.Envs) == 0 {
			continue
		}
		for s := range f.topics[p.Topic] {
			s.enqueue(p.Topic, p.Envs)
		}
	}
	return nil
}

// Subscribe starts a subscription, joined to no topic. Close it to stop its goroutine. Close must not be
// called from the handler: it waits for the running handler call to return.
func (f *Fanout) Subscribe(ctx context.Context, handler func(topic string, env core.Envelope)) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(core.CodeUnavailable, err, "fanout: subscribe abandoned")
	}
	s := &subscription{f: f, handler: handler, topics: map[string]struct{}{},
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s, nil
}

// delivery is one queued envelope.
type delivery struct {
	topic string
	env   core.Envelope
}

// subscription is one handler, its topics and its queue.
type subscription struct {
	f       *Fanout
	handler func(topic string, env core.Envelope)
	topics  map[string]struct{} // guarded by f.mu

	mu     sync.Mutex
	queue  []delivery
	closed bool

	wake chan struct{} // signalled when the queue gains envelopes
	quit chan struct{} // closed by Close
	done chan struct{} // closed when run returns
}

// Join adds topics; envelopes published once it returns are delivered.
func (s *subscription) Join(ctx context.Context, topics ...string) error {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.isClosed() {
		return core.Errorf(core.CodeUnavailable, "fanout: subscription closed")
	}
	for _, t := range topics {
		subs := f.topics[t]
		if subs == nil {
			subs = map[*subscription]struct{}{}
			f.topics[t] = subs
		}
		subs[s] = struct{}{}
		s.topics[t] = struct{}{}
	}
	return nil
}

// Leave removes topics. Envelopes of those topics already queued are still delivered.
func (s *subscription) Leave(ctx context.Context, topics ...string) error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for _, t := range topics {
		s.leaveLocked(t)
	}
	return nil
}

func (s *subscription) leaveLocked(topic string) {
	delete(s.topics, topic)
	if subs := s.f.topics[topic]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(s.f.topics, topic)
		}
	}
}

// Close leaves every topic, discards the queue and waits for a running handler call to return. Closing
// again is harmless.
func (s *subscription) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed, s.queue = true, nil
	s.mu.Unlock()
	if !already {
		s.f.mu.Lock()
		for t := range s.topics {
			s.leaveLocked(t)
		}
		s.f.mu.Unlock()
		close(s.quit)
	}
	<-s.done
	return nil
}

func (s *subscription) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// enqueue adds envs to the queue, dropping what does not fit.
func (s *subscription) enqueue(topic string, envs []core.Envelope) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	room := max(0, s.f.queueLimit-len(s.queue))
	if len(envs) > room {
		s.f.dropped.Add(int64(len(envs) - room))
		envs = envs[:room]
	}
	for _, e := range envs {
		s.queue = append(s.queue, delivery{topic: topic, env: e})
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// run calls the handler for each queued envelope, in order, until Close.
func (s *subscription) run() {
	defer close(s.done)
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		for {
			batch := s.take()
			if len(batch) == 0 {
				break
			}
			for _, d := range batch {
				if s.isClosed() {
					return
				}
				s.handler(d.topic, d.env)
			}
		}
	}
}

// take empties the queue and returns what it held.
func (s *subscription) take() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := s.queue
	s.queue = nil
	return batch
}
