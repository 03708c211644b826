package kafka_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestCommandLogContract(t *testing.T) {
	t.Parallel()
	porttest.TestCommandLog(t, func(t *testing.T) (ports.CommandLog, ports.CommandConsumer) {
		cfg := testConfig(t, 4)
		cfg.MaxBatch = 7
		return newTopic(t, cfg), newConsumer(t, cfg)
	})
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	valid := kafka.Config{Brokers: []string{"localhost:9092"}, Topic: "commands"}
	cases := map[string]func(c *kafka.Config){
		"no brokers":               func(c *kafka.Config) { c.Brokers = nil },
		"broker without port":      func(c *kafka.Config) { c.Brokers = []string{"localhost"} },
		"broker with empty port":   func(c *kafka.Config) { c.Brokers = []string{"localhost:"} },
		"no topic":                 func(c *kafka.Config) { c.Topic = "" },
		"topic with a slash":       func(c *kafka.Config) { c.Topic = "a/b" },
		"topic dot":                func(c *kafka.Config) { c.Topic = "." },
		"negative partitions":      func(c *kafka.Config) { c.Partitions = -1 },
		"negative linger":          func(c *kafka.Config) { c.BatchLinger = -time.Millisecond },
		"heartbeat beyond session": func(c *kafka.Config) { c.HeartbeatInterval = 7 * time.Second; c.SessionTimeout = 6 * time.Second },
		"group id with spaces":     func(c *kafka.Config) { c.GroupID = " workers" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			mutate(&cfg)
			_, err := cfg.Validate()
			assert.ErrorIs(t, err, core.ErrInvalidArgument)
			_, err = kafka.NewLog(cfg)
			assert.ErrorIs(t, err, core.ErrInvalidArgument)
		})
	}

	got, err := valid.Validate()
	require.NoError(t, err)
	assert.Equal(t, kafka.DefaultPartitions, got.Partitions)
	assert.Equal(t, kafka.DefaultBatchTimeout, got.BatchTimeout)
	assert.Equal(t, kafka.DefaultMaxBatch, got.MaxBatch)
	assert.NotNil(t, got.Logger)

	_, err = kafka.NewConsumer(valid)
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "a consumer needs a group id")
}

func TestPing(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 2)
	log, err := kafka.NewLog(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close() })
	assert.ErrorIs(t, log.Ping(t.Context()), core.ErrUnavailable, "the topic does not exist yet")

	log = newTopic(t, cfg)
	assert.NoError(t, log.Ping(t.Context()))

	// A broker address nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	cfg.Brokers = []string{dead}
	down, err := kafka.NewLog(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = down.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	assert.ErrorIs(t, down.Ping(ctx), core.ErrUnavailable)
	assert.ErrorIs(t, kafka.EnsureTopic(ctx, cfg), core.ErrUnavailable)
}

func TestEnsureTopicIsIdempotent(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 3)
	require.NoError(t, kafka.EnsureTopic(t.Context(), cfg))
	require.NoError(t, kafka.EnsureTopic(t.Context(), cfg), "a second call finds the topic and succeeds")
	cfg.Partitions = 5
	require.NoError(t, kafka.EnsureTopic(t.Context(), cfg), "an existing topic is left as it is")
	assert.Len(t, partitionsOf(t, cfg.Topic), 3)
}

func TestAppendFailsOnAMissingTopic(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 1)
	log, err := kafka.NewLog(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	assert.ErrorIs(t, log.Append(ctx, command("conv", 0)), core.ErrUnavailable)
	assert.NoError(t, log.Append(ctx), "appending nothing is a no-op")
}
