package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.Fanout       = (*Fanout)(nil)
	_ ports.Subscription = (*subscription)(nil)
)

// Bounds on the pause between attempts to reach Redis again after a subscription lost its connection.
const (
	reconnectMin = 50 * time.Millisecond
	reconnectMax = 2 * time.Second
)

// Fanout is a ports.Fanout on Redis pub/sub: a topic is the channel KeyPrefix+topic, and each Publish is one
// PUBLISH of all its envelopes, so envelopes published by one caller to one topic arrive in order on every
// node. Delivery is at-most-once: what is published while a subscription is disconnected (a Redis restart,
// a network cut) is lost, and clients heal such gaps by seq through sync. Each subscription has its own
// connection, which go-redis re-establishes and re-subscribes to every joined topic by itself (a silently
// dead connection is noticed by TCP keep-alive within about a minute).
type Fanout struct {
	c       *Client
	dropped atomic.Int64
}

// NewFanout returns a fan-out on c's server.
func NewFanout(c *Client) *Fanout { return &Fanout{c: c} }

// Dropped returns how many envelopes were dropped because a subscription's queue was full or a message
// could not be decoded.
func (f *Fanout) Dropped() int64 { return f.dropped.Load() }

// Publish sends envs to the nodes subscribed to topic as one message.
func (f *Fanout) Publish(ctx context.Context, topic string, envs ...core.Envelope) error {
	if len(envs) == 0 {
		return nil
	}
	payload, err := encodeEnvelopes(envs)
	if err != nil {
		return core.Wrap(core.CodeInternal, err, "redis: cannot encode envelopes")
	}
	if err := f.c.rdb.Publish(ctx, f.c.key(topic), payload).Err(); err != nil {
		return unavailable(err, "publish")
	}
	return nil
}

// publishBatch bounds how many PUBLISH commands one pipelined round trip carries.
const publishBatch = 512

// PublishMany sends envs to each of topics as one message per topic, encoded once and pipelined.
func (f *Fanout) PublishMany(ctx context.Context, topics []string, envs ...core.Envelope) error {
	if len(envs) == 0 || len(topics) == 0 {
		return nil
	}
	payload, err := encodeEnvelopes(envs)
	if err != nil {
		return core.Wrap(core.CodeInternal, err, "redis: cannot encode envelopes")
	}
	msgs := make([]message, len(topics))
	for i, topic := range topics {
		msgs[i] = message{channel: f.c.key(topic), payload: payload}
	}
	return f.publishPipelined(ctx, msgs)
}

// PublishAll sends each publication as one message on its topic, pipelined in order.
func (f *Fanout) PublishAll(ctx context.Context, pubs ...ports.Publication) error {
	msgs := make([]message, 0, len(pubs))
	for _, p := range pubs {
		if len(p.Envs) == 0 {
			continue
		}
		payload, err := encodeEnvelopes(p.Envs)
		if err != nil {
			return core.Wrap(core.CodeInternal, err, "redis: cannot encode envelopes")
		}
		msgs = append(msgs, message{channel: f.c.key(p.Topic), payload: payload})
	}
	return f.publishPipelined(ctx, msgs)
}

// message is one PUBLISH.
type message struct {
	channel string
	payload []byte
}

// publishPipelined sends msgs in order, publishBatch of them per round trip.
func (f *Fanout) publishPipelined(ctx context.Context, msgs []message) error {
	for len(msgs) > 0 {
		batch := msgs[:min(len(msgs), publishBatch)]
		msgs = msgs[len(batch):]
		_, err := f.c.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, m := range batch {
				p.Publish(ctx, m.channel, m.payload)
			}
			return nil
		})
		if err != nil {
			return unavailable(err, "publish")
		}
	}
	return nil
}

// Subscribe starts a subscription joined to no topic; it connects lazily and retries until Close. Close must
// not be called from the handler: it waits for the running handler call to return.
func (f *Fanout) Subscribe(ctx context.Context, handler func(topic string, env core.Envelope)) (ports.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(core.CodeUnavailable, err, "redis: subscribe abandoned")
	}
	s := &subscription{f: f, ps: f.c.rdb.Subscribe(context.Background()), handler: handler,
		pending: map[string]chan bool{}, wake: make(chan struct{}, 1), quit: make(chan struct{}),
		readDone: make(chan struct{}), runDone: make(chan struct{})}
	go s.read()
	go s.run()
	return s, nil
}

// subscription owns one pub/sub connection (read by read) and one handler goroutine (run), joined by a
// bounded queue so that a slow handler never stalls the connection.
type subscription struct {
	f       *Fanout
	ps      *goredis.PubSub
	handler func(topic string, env core.Envelope)

	mu      sync.Mutex
	queue   []delivery
	closed  bool
	pending map[string]chan bool // PING token → confirmed (true) or connection lost (false)

	wake     chan struct{} // signalled when the queue gains envelopes
	quit     chan struct{} // closed by Close
	readDone chan struct{}
	runDone  chan struct{}
}

// delivery is one queued envelope.
type delivery struct {
	topic string
	env   core.Envelope
}

var errClosed = core.Errorf(core.CodeUnavailable, "redis: subscription closed")

// Join subscribes to topics and returns once Redis confirmed it. When it fails, the topics stay wanted:
// they are subscribed as soon as the connection is back, unless left.
func (s *subscription) Join(ctx context.Context, topics ...string) error {
	if s.isClosed() {
		return errClosed
	}
	if len(topics) == 0 {
		return nil
	}
	// go-redis writes SUBSCRIBE and PING on the open connection whatever ctx says, and a confirmation that
	// is back before confirm looks races ctx.Done there: a ctx already ended is refused here, always.
	if err := ctx.Err(); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "redis: join abandoned")
	}
	if err := s.ps.Subscribe(ctx, s.channels(topics)...); err != nil {
		return unavailable(err, "subscribe")
	}
	return s.confirm(ctx)
}

// Leave unsubscribes from topics; once it returns nothing published to them later is delivered. Envelopes
// already queued are still delivered. The topics are forgotten even when it fails.
func (s *subscription) Leave(ctx context.Context, topics ...string) error {
	if len(topics) == 0 || s.isClosed() {
		return nil
	}
	if err := s.ps.Unsubscribe(ctx, s.channels(topics)...); err != nil {
		return unavailable(err, "unsubscribe")
	}
	return s.confirm(ctx)
}

// Close closes the connection, discards the queue and waits for both goroutines. Closing again is harmless.
func (s *subscription) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed, s.queue = true, nil
	s.mu.Unlock()
	if !already {
		close(s.quit)
		_ = s.ps.Close()
	}
	<-s.readDone
	<-s.runDone
	return nil
}

func (s *subscription) channels(topics []string) []string {
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = s.f.c.key(t)
	}
	return out
}

// confirm returns once Redis has processed every command sent before it on the subscription's connection.
// Redis answers a connection's commands in order, so the echo of a unique PING proves that the preceding
// (UN)SUBSCRIBE took effect. If the connection drops meanwhile, go-redis re-subscribes on a new one and we
// confirm again there.
func (s *subscription) confirm(ctx context.Context) error {
	for {
		token := rand.Text()
		answer := make(chan bool, 1)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return errClosed
		}
		s.pending[token] = answer
		s.mu.Unlock()
		if err := s.ps.Ping(ctx, token); err != nil {
			s.answer(token, false)
			return unavailable(err, "confirm subscription")
		}
		select {
		case ok := <-answer:
			if ok {
				return nil
			}
		case <-ctx.Done():
			s.answer(token, false)
			return core.Wrap(core.CodeUnavailable, ctx.Err(), "redis: subscription not confirmed")
		case <-s.quit:
			return errClosed
		}
	}
}

// answer settles the confirmation waiting for token, if any.
func (s *subscription) answer(token string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.pending[token]; ch != nil {
		ch <- ok
		delete(s.pending, token)
	}
}

// read receives from the connection until Close, queueing messages and settling confirmations.
func (s *subscription) read() {
	defer close(s.readDone)
	ctx, pause := context.Background(), reconnectMin
	for {
		msg, err := s.ps.Receive(ctx)
		if s.isClosed() {
			return
		}
		if err != nil {
			s.failPending()
			if errors.Is(err, goredis.ErrClosed) { // the Client was closed under us: nothing will come
				return
			}
			var reply goredis.Error
			if errors.As(err, &reply) {
				continue // an error reply: the connection is fine
			}
			select { // go-redis reconnects on the next Receive; do not spin while Redis is down
			case <-time.After(pause):
			case <-s.quit:
				return
			}
			pause = min(2*pause, reconnectMax)
			continue
		}
		pause = reconnectMin
		switch m := msg.(type) {
		case *goredis.Message:
			s.deliver(m)
		case *goredis.Pong:
			s.answer(m.Payload, true)
		}
	}
}

// failPending tells every waiting confirmation that its PING may be lost with the connection.
func (s *subscription) failPending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, ch := range s.pending {
		ch <- false
		delete(s.pending, token)
	}
}

// deliver decodes a message and queues its envelopes, dropping what does not fit.
func (s *subscription) deliver(m *goredis.Message) {
	envs, err := decodeEnvelopes(m.Payload)
	if err != nil {
		s.f.dropped.Add(1)
		return
	}
	topic := strings.TrimPrefix(m.Channel, s.f.c.cfg.KeyPrefix)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	room := max(0, s.f.c.cfg.FanoutQueue-len(s.queue))
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
	defer close(s.runDone)
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		for batch := s.take(); len(batch) > 0; batch = s.take() {
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

func (s *subscription) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
