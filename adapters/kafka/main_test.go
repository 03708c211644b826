package kafka_test

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/core"
)

// brokers are the addresses of the in-process Kafka-protocol cluster every test of this package talks to over
// TCP, with kafka-go, as production talks to Kafka.
var brokers []string

func TestMain(m *testing.M) {
	// Three brokers, so that partition leaders, the group coordinator and the controller are spread out as
	// in a real cluster. Each listens on a free port of 127.0.0.1.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	brokers = cluster.ListenAddrs()
	code := m.Run()
	cluster.Close()
	os.Exit(code)
}

// testConfig returns a config for a fresh topic and consumer group, tuned for quick rebalances within kfake's
// limits (session timeouts of at least 6s).
func testConfig(t *testing.T, partitions int) kafka.Config {
	return kafka.Config{
		Brokers:           brokers,
		Topic:             uniqueName("commands"),
		GroupID:           uniqueName("workers"),
		Partitions:        partitions,
		SessionTimeout:    6 * time.Second,
		HeartbeatInterval: 200 * time.Millisecond,
		RebalanceTimeout:  5 * time.Second,
		RetryBackoff:      20 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// newTopic creates cfg's topic and returns a Log on it, closed at cleanup.
func newTopic(t *testing.T, cfg kafka.Config) *kafka.Log {
	require.NoError(t, kafka.EnsureTopic(t.Context(), cfg))
	log, err := kafka.NewLog(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close() })
	return log
}

func newConsumer(t *testing.T, cfg kafka.Config) *kafka.Consumer {
	c, err := kafka.NewConsumer(cfg)
	require.NoError(t, err)
	return c
}

func uniqueName(prefix string) string { return prefix + "-" + rand.Text()[:12] }

func command(conv string, i int) core.SendCommand {
	id := fmt.Sprintf("%s-%d", conv, i)
	return core.SendCommand{ID: "cmd-" + id, Origin: "node-a", ConversationID: conv, SenderID: "user-a",
		MessageID: "msg-" + id, ClientMsgID: fmt.Sprintf("client-%d", i), Body: fmt.Sprintf("hello %d", i),
		At: time.Date(2024, 5, 1, 12, 0, 0, i, time.UTC)}
}
