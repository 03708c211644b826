package kafka

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/scalechat/scalechat/core"
)

// EnsureTopic creates cfg.Topic with cfg.Partitions partitions and cfg.ReplicationFactor replicas unless it
// exists, and waits (up to 30s) until every partition has a leader. It is idempotent: an existing topic is
// left as it is (a different partition count is only logged, since changing it would move conversations
// between partitions).
func EnsureTopic(ctx context.Context, cfg Config) error {
	cfg, err := cfg.Validate()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, topicReadyTimeout)
	defer cancel()
	dialer := &kafkago.Dialer{Timeout: dialTimeout, ClientID: "scalechat"}
	all, err := brokers(ctx, dialer, cfg.Brokers)
	if err != nil {
		return core.Wrap(core.CodeUnavailable, err, "kafka: no broker answered")
	}
	if err := createTopic(ctx, dialer, cfg, len(all)); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "kafka: creating the topic failed")
	}
	for {
		n, err := readyPartitions(ctx, dialer, cfg)
		switch {
		case err == nil && n > 0:
			if n != cfg.Partitions {
				cfg.Logger.Warn("kafka: topic exists with another partition count than configured",
					"topic", cfg.Topic, "partitions", n, "configured", cfg.Partitions)
			}
			return nil
		case ctx.Err() != nil:
			return core.Wrap(core.CodeUnavailable, errors.Join(ctx.Err(), err), "kafka: topic not ready")
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createTopic asks the controller to create the topic; kafka-go treats "already exists" as success.
func createTopic(ctx context.Context, dialer *kafkago.Dialer, cfg Config, brokerCount int) error {
	conn, err := dialer.DialContext(ctx, "tcp", cfg.Brokers[0])
	for i := 1; err != nil && i < len(cfg.Brokers); i++ {
		conn, err = dialer.DialContext(ctx, "tcp", cfg.Brokers[i])
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(deadline(ctx))
	controller, err := conn.Controller()
	_ = conn.Close()
	if err != nil {
		return err
	}
	cconn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(controller.Host, strconv.Itoa(controller.Port)))
	if err != nil {
		return err
	}
	defer cconn.Close()
	_ = cconn.SetDeadline(deadline(ctx))
	rf := cfg.ReplicationFactor
	if rf == 0 {
		rf = max(1, min(3, brokerCount))
	}
	return cconn.CreateTopics(kafkago.TopicConfig{Topic: cfg.Topic, NumPartitions: cfg.Partitions, ReplicationFactor: rf})
}

// readyPartitions returns the topic's partition count once every partition has a leader, else 0.
func readyPartitions(ctx context.Context, dialer *kafkago.Dialer, cfg Config) (int, error) {
	var errs []error
	for _, addr := range cfg.Brokers {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = conn.SetDeadline(deadline(ctx))
		parts, err := conn.ReadPartitions(cfg.Topic) // the topic exists now, so no auto-creation can happen
		_ = conn.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range parts {
			if p.Leader.Host == "" || p.Error != nil {
				return 0, nil
			}
		}
		return len(parts), nil
	}
	return 0, errors.Join(errs...)
}
