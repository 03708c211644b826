// Package kafka is the command log of the distributed roles on Apache Kafka (github.com/segmentio/kafka-go):
// gateways append send commands to one topic keyed by conversation id (acks=all), and workers consume it in
// one consumer group, so partitions — and with them conversations — are split between workers while each
// conversation's commands stay in order.
package kafka

import (
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Defaults for Config's zero fields.
const (
	DefaultPartitions        = 12
	DefaultBatchSize         = 100
	DefaultBatchTimeout      = 2 * time.Millisecond
	DefaultMaxBatch          = 500
	DefaultBatchLinger       = 5 * time.Millisecond
	DefaultBatchGap          = time.Millisecond
	DefaultSessionTimeout    = 10 * time.Second
	DefaultHeartbeatInterval = time.Second
	DefaultRebalanceTimeout  = 10 * time.Second
	DefaultRetryBackoff      = 100 * time.Millisecond
)

// Internal tuning, not worth a Config field.
const (
	maxRetryBackoff   = 5 * time.Second        // cap of the doubling wait between redeliveries of a failing batch
	fetchMaxWait      = 500 * time.Millisecond // long-poll of an idle fetch (Kafka's fetch.max.wait.ms default)
	fetchMaxBytes     = 10 << 20               // most bytes one fetch of a partition returns
	joinGroupBackoff  = 500 * time.Millisecond // wait before rejoining the group after a failed join
	commitTimeout     = 10 * time.Second       // bound of one offset commit
	dialTimeout       = 5 * time.Second        // bound of one broker dial
	requestTimeout    = 10 * time.Second       // bound of one admin request (Ping, EnsureTopic) without deadline
	topicReadyTimeout = 30 * time.Second       // bound of EnsureTopic
)

// topicName is Kafka's rule for topic names.
var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// Config configures NewLog, NewConsumer and EnsureTopic. Zero fields take the defaults above.
type Config struct {
	// Brokers are bootstrap addresses (host:port) of the Kafka cluster; any reachable one will do.
	Brokers []string
	// Topic holds the send commands.
	Topic string
	// Partitions is the partition count EnsureTopic creates the topic with (default 12). It bounds how many
	// workers share the load. Adding partitions later moves conversations to other partitions, which breaks
	// their order while the old partition drains, so choose it generously up front.
	Partitions int
	// ReplicationFactor is the replica count EnsureTopic creates the topic with (default: 3, or the number of
	// brokers when fewer). With acks=all an append is durable on every in-sync replica.
	ReplicationFactor int
	// GroupID is the consumer group of the workers (required by NewConsumer): the group splits partitions
	// between its members and keeps their committed offsets.
	GroupID string

	// BatchSize is the most commands the producer sends to one partition in one request (default 100).
	BatchSize int
	// BatchTimeout is how long the producer lingers for more commands before sending a partial batch
	// (default 2ms): each Append waits for it, so keep it low.
	BatchTimeout time.Duration

	// MaxBatch is the most commands handed to one handle call (default 500).
	MaxBatch int
	// BatchLinger is the longest the consumer waits for more commands after the first one of a batch
	// (default 5ms).
	BatchLinger time.Duration
	// BatchGap ends a batch early: when no command arrived for this long, the batch goes (default 1ms). A
	// lightly loaded worker does not wait out BatchLinger for every command; under load commands keep
	// arriving within the gap and batches grow to MaxBatch or BatchLinger.
	BatchGap time.Duration
	// SessionTimeout is how long the group coordinator waits for a silent worker before handing its
	// partitions to the others (default 10s). Brokers refuse values below group.min.session.timeout.ms
	// (6s by default, also in kfake).
	SessionTimeout time.Duration
	// HeartbeatInterval is how often a worker heartbeats (default 1s); it is also how soon running workers
	// notice that one joined or left. Must be below SessionTimeout.
	HeartbeatInterval time.Duration
	// RebalanceTimeout is how long the coordinator waits for every member to rejoin during a rebalance
	// (default 10s).
	RebalanceTimeout time.Duration
	// RetryBackoff is the wait before a failed batch is delivered again; it doubles with each consecutive
	// failure, up to 5s (default 100ms).
	RetryBackoff time.Duration

	// Logger receives the adapter's warnings (failed batches, skipped undecodable records) and kafka-go's
	// internal messages at debug level (default slog.Default()).
	Logger *slog.Logger
}

// Validate checks c and fills in defaults. GroupID is checked by NewConsumer, which alone needs it.
func (c Config) Validate() (Config, error) {
	if len(c.Brokers) == 0 {
		return c, core.Invalid("brokers", "kafka: at least one broker address is required")
	}
	for _, b := range c.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || port == "" || strings.TrimSpace(host) != host {
			return c, core.Invalid("brokers", "kafka: broker address %q is not host:port", b)
		}
	}
	if !topicName.MatchString(c.Topic) || c.Topic == "." || c.Topic == ".." {
		return c, core.Invalid("topic", "kafka: topic %q is not a valid Kafka topic name", c.Topic)
	}
	if c.Partitions < 0 || c.ReplicationFactor < 0 || c.BatchSize < 0 || c.BatchTimeout < 0 || c.MaxBatch < 0 ||
		c.BatchLinger < 0 || c.BatchGap < 0 || c.SessionTimeout < 0 || c.HeartbeatInterval < 0 || c.RebalanceTimeout < 0 ||
		c.RetryBackoff < 0 {
		return c, core.Invalid("config", "kafka: counts and durations must not be negative")
	}
	if c.GroupID != strings.TrimSpace(c.GroupID) {
		return c, core.Invalid("groupId", "kafka: group id %q has surrounding spaces", c.GroupID)
	}
	c.Partitions = or(c.Partitions, DefaultPartitions)
	c.BatchSize = or(c.BatchSize, DefaultBatchSize)
	c.BatchTimeout = or(c.BatchTimeout, DefaultBatchTimeout)
	c.MaxBatch = or(c.MaxBatch, DefaultMaxBatch)
	c.BatchLinger = or(c.BatchLinger, DefaultBatchLinger)
	c.BatchGap = min(or(c.BatchGap, DefaultBatchGap), c.BatchLinger)
	c.SessionTimeout = or(c.SessionTimeout, DefaultSessionTimeout)
	c.HeartbeatInterval = or(c.HeartbeatInterval, DefaultHeartbeatInterval)
	c.RebalanceTimeout = or(c.RebalanceTimeout, DefaultRebalanceTimeout)
	c.RetryBackoff = or(c.RetryBackoff, DefaultRetryBackoff)
	if c.HeartbeatInterval >= c.SessionTimeout {
		return c, core.Invalid("heartbeatInterval", "kafka: heartbeat interval %s must be below the session timeout %s",
			c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Brokers = append([]string(nil), c.Brokers...)
	return c, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
