package ports

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// Fanout delivers envelopes to the subscribers of a topic on every node. Delivery is at-most-once and
// best-effort: a subscriber may miss envelopes (a restart, a slow consumer) and clients heal gaps by seq.
// Envelopes published to one topic by one publisher arrive in publish order.
type Fanout interface {
	// Publish sends envelopes to topic's current subscribers. No subscriber is not an error.
	Publish(ctx context.Context, topic string, envs ...core.Envelope) error
	// PublishMany sends the same envelopes to each of topics, as Publish would topic by topic but in as few
	// round trips as the transport allows (a presence change reaches a user's every contact at once).
	PublishMany(ctx context.Context, topics []string, envs ...core.Envelope) error
	// PublishAll sends each publication as Publish would, in order, in as few round trips as the transport
	// allows (a sequencer batch's events of many conversations and its results, at once). An error may come
	// after some of them were sent.
	PublishAll(ctx context.Context, pubs ...Publication) error
	// Subscribe opens a subscription whose handler receives every envelope of the topics it joins. The handler
	// is called from one goroutine per subscription, in order, and must not block for long.
	Subscribe(ctx context.Context, handler func(topic string, env core.Envelope)) (Subscription, error)
}

// Publication is envelopes for one topic, for PublishAll.
type Publication struct {
	Topic string
	Envs  []core.Envelope
}

// Subscription is a changing set of topics feeding one handler.
type Subscription interface {
	// Join adds topics; envelopes published after Join returns are delivered. Joining twice is harmless.
	Join(ctx context.Context, topics ...string) error
	// Leave removes topics; leaving a topic not joined is harmless.
	Leave(ctx context.Context, topics ...string) error
	// Close ends the subscription; the handler is not called after Close returns.
	Close() error
}
