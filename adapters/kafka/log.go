package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.CommandLog = (*Log)(nil)
	_ ports.Pinger     = (*Log)(nil)
)

// Log appends send commands to the topic: the ports.CommandLog of gateways. It is safe for concurrent use.
//
// Each command becomes one record whose key is its ConversationID and whose value is this adapter's private,
// versioned JSON encoding. The partition is chosen with Kafka's default partitioner for keyed records:
// murmur2(key) & 0x7fffffff modulo the partition count — what the Java client's default partitioner,
// librdkafka's "murmur2_random" and franz-go's kgo.StickyKeyPartitioner(nil) compute — so another producer
// using one of them sends a conversation's records to the same partition, behind the same ones.
//
// Append is synchronous and waits for acks=all: when it returns nil every command is on all in-sync replicas.
// Records of one partition are sent one request at a time, retried in place, so per-conversation order is
// append order across calls.
type Log struct {
	cfg       Config
	w         *kafkago.Writer
	transport *kafkago.Transport
	dialer    *kafkago.Dialer
}

// NewLog returns a Log producing to cfg.Topic, which must exist before the first Append (see EnsureTopic):
// the producer caches the cluster's metadata and refreshes it only every few seconds. Close releases it.
func NewLog(cfg Config) (*Log, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	// A transport of our own: kafka-go's default one is shared process-wide and caches metadata.
	transport := &kafkago.Transport{DialTimeout: dialTimeout, ClientID: "scalechat"}
	w := &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Topic:        cfg.Topic,
		Balancer:     &kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		Async:        false,
		Transport:    transport,
		Logger:       debugLogger(cfg.Logger, "kafka writer"),
		ErrorLogger:  warnLogger(cfg.Logger, "kafka writer"),
	}
	return &Log{cfg: cfg, w: w, transport: transport, dialer: &kafkago.Dialer{Timeout: dialTimeout, ClientID: "scalechat"}}, nil
}

// Append writes cmds in one request per partition and returns once the brokers acknowledged all of them.
// An error (core.ErrUnavailable) leaves the outcome unknown: some commands may have been written, and the
// caller may retry, since the sequencer dedupes by clientMsgId.
func (l *Log) Append(ctx context.Context, cmds ...core.SendCommand) error {
	if len(cmds) == 0 {
		return nil
	}
	msgs := make([]kafkago.Message, len(cmds))
	for i, c := range cmds {
		value, err := encodeCommand(c)
		if err != nil {
			return core.Wrap(core.CodeInternal, err, "kafka: encoding a send command failed")
		}
		msgs[i] = kafkago.Message{Key: []byte(c.ConversationID), Value: value}
	}
	if err := l.w.WriteMessages(ctx, msgs...); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "kafka: appending send commands failed")
	}
	return nil
}

// Ping dials the brokers until one answers a metadata request, then checks that the topic is known.
func (l *Log) Ping(ctx context.Context) error {
	if _, err := brokers(ctx, l.dialer, l.cfg.Brokers); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "kafka: no broker answered")
	}
	// The writer's cached view of the cluster: what Append will use.
	client := &kafkago.Client{Addr: kafkago.TCP(l.cfg.Brokers...), Transport: l.transport, Timeout: requestTimeout}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{l.cfg.Topic}})
	if err != nil {
		return core.Wrap(core.CodeUnavailable, err, "kafka: reading metadata failed")
	}
	for _, t := range meta.Topics {
		if t.Name == l.cfg.Topic && t.Error == nil && len(t.Partitions) > 0 {
			return nil
		}
	}
	return core.Errorf(core.CodeUnavailable, "kafka: topic %q is not available", l.cfg.Topic)
}

// Close releases the producer's connections; Append must not be called afterwards.
func (l *Log) Close() error {
	err := l.w.Close()
	l.transport.CloseIdleConnections()
	return err
}

// brokers asks the first broker that answers for the cluster's brokers.
func brokers(ctx context.Context, dialer *kafkago.Dialer, addrs []string) ([]kafkago.Broker, error) {
	var errs []error
	for _, addr := range addrs {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = conn.SetDeadline(deadline(ctx))
		bs, err := conn.Brokers()
		_ = conn.Close()
		if err == nil {
			return bs, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, errors.Join(errs...)
}

// deadline is ctx's deadline, or requestTimeout from now.
func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(requestTimeout)
}

func debugLogger(l *slog.Logger, component string) kafkago.Logger {
	return kafkago.LoggerFunc(func(format string, args ...any) {
		if l.Enabled(context.Background(), slog.LevelDebug) {
			l.Debug(fmt.Sprintf(format, args...), "component", component)
		}
	})
}

func warnLogger(l *slog.Logger, component string) kafkago.Logger {
	return kafkago.LoggerFunc(func(format string, args ...any) {
		l.Warn(fmt.Sprintf(format, args...), "component", component)
	})
}
