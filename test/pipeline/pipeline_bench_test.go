// Package pipeline_test measures the workers' half of the distributed send path at full speed: send commands
// already durable in the Kafka log are consumed by consumer-group members (the kafka adapter's Consumer, as a
// worker runs --sequencer-consumers of them), sequenced into PostgreSQL by chat.Sequencer and published to
// Redis, as a worker does. The broker is kfake over TCP in this process; PostgreSQL and Redis are the local
// servers (the benchmark fails, never skips, when they are unreachable). `make bench-pipeline` runs it.
package pipeline_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/adapters/postgres"
	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports/porttest"
)

const (
	postgresURLEnv     = "SCALECHAT_TEST_POSTGRES_URL"
	defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	redisURLEnv        = "SCALECHAT_TEST_REDIS_URL"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// BenchmarkPipeline drains SCALECHAT_BENCH_PIPELINE_COMMANDS (default 100,000) commands over 2,000
// conversations of 10 members from a 12-partition topic, for several consumer counts and batch limits. It
// reports the drained msg/s (from the first batch handed to a consumer to the last command stored; joining the
// group comes before), the batch size
// the consumers formed, and the producer's rate filling the topic (256 concurrent Appends, as gateways send).
func BenchmarkPipeline(b *testing.B) {
	n := 100_000
	if v := os.Getenv("SCALECHAT_BENCH_PIPELINE_COMMANDS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err, "SCALECHAT_BENCH_PIPELINE_COMMANDS")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(b, err)
	b.Cleanup(cluster.Close)
	for _, tc := range []struct{ consumers, maxBatch int }{{1, 100}, {4, 100}, {4, 500}, {12, 500}} {
		b.Run(fmt.Sprintf("consumers=%d/maxBatch=%d", tc.consumers, tc.maxBatch), func(b *testing.B) {
			for range b.N {
				drain(b, cluster.ListenAddrs(), n, tc.consumers, tc.maxBatch)
			}
		})
	}
}

func drain(b *testing.B, brokers []string, n, consumers, maxBatch int) {
	ctx := b.Context()
	b.StopTimer()
	store, schema := openStore(b)
	const convs, members = 2000, 10
	at := time.Now().UTC().Truncate(time.Millisecond)
	ids := porttest.BenchGroups(b, store, "p", convs, members, at)
	kc := kafka.Config{Brokers: brokers, Topic: "commands-" + rand.Text()[:10], GroupID: "workers-" + rand.Text()[:10],
		Partitions: 12, MaxBatch: maxBatch, SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	require.NoError(b, kafka.EnsureTopic(ctx, kc))
	log, err := kafka.NewLog(kc)
	require.NoError(b, err)
	defer func() { _ = log.Close() }()

	// Fill the topic: 256 appenders, each sending its share one command at a time.
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 256)
	for range 256 {
		wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < n; k = int(next.Add(1)) - 1 {
				c := k % convs
				cmd := core.SendCommand{ID: fmt.Sprint("cmd", k), Origin: "bench", ConversationID: ids[c],
					SenderID: porttest.BenchMember(ids[c], k%members), MessageID: fmt.Sprint("m", k),
					ClientMsgID: fmt.Sprint("k", k), Body: "benchmark message", At: at}
				if err := log.Append(ctx, cmd); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	produced := float64(n) / time.Since(start).Seconds()

	rc, err := redis.Open(ctx, redis.Config{URL: env(redisURLEnv, defaultRedisURL), KeyPrefix: "bench-" + rand.Text()[:8] + ":"})
	require.NoError(b, err, "Redis unreachable: start it with redis-server --daemonize yes (or set %s)", redisURLEnv)
	defer func() { _ = rc.Close() }()
	seq := chat.NewSequencer(store, redis.NewFanout(rc), nil)
	var handled, batches atomic.Int64
	var mu sync.Mutex
	seen := make(map[string]bool, n)
	done := make(chan struct{})
	var once, first sync.Once // the time runs from the first batch: joining the group is not draining
	b.StartTimer()
	cctx, cancel := context.WithCancel(ctx)
	var running sync.WaitGroup
	for range consumers {
		consumer, err := kafka.NewConsumer(kc)
		require.NoError(b, err)
		running.Go(func() {
			_ = consumer.Consume(cctx, func(ctx context.Context, batch []core.SendCommand) error {
				first.Do(func() { start = time.Now() })
				if err := seq.Handle(ctx, batch); err != nil {
					return err
				}
				batches.Add(1)
				handled.Add(int64(len(batch)))
				// Done once every command was handled: a batch delivered again after the group moved
				// partitions (its offsets not yet committed) counts once.
				mu.Lock()
				for _, c := range batch {
					seen[c.ID] = true
				}
				all := len(seen) == n
				mu.Unlock()
				if all {
					once.Do(func() { close(done) })
				}
				return nil
			})
		})
	}
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("drained %d of %d commands in 10 minutes", handled.Load(), n)
	}
	took := time.Since(start)
	b.StopTimer()
	cancel()
	running.Wait()
	conn, err := pgx.Connect(ctx, env(postgresURLEnv, defaultPostgresURL))
	require.NoError(b, err)
	defer func() { _ = conn.Close(ctx) }()
	var stored int64
	require.NoError(b, conn.QueryRow(ctx, `SELECT coalesce(sum(last_seq), 0) FROM `+schema+`.conversations`).Scan(&stored))
	require.Equal(b, int64(n), stored, "every command stored once")
	b.ReportMetric(float64(n)/took.Seconds(), "msg/s")
	b.ReportMetric(float64(handled.Load())/float64(batches.Load()), "cmds/batch")
	b.ReportMetric(produced, "produced-msg/s")
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openStore returns a migrated PostgreSQL store in a fresh schema, dropped when b ends.
func openStore(b *testing.B) (*postgres.Store, string) {
	ctx := context.Background()
	url := env(postgresURLEnv, defaultPostgresURL)
	schema := "sc_bench_" + fmt.Sprintf("%x", time.Now().UnixNano())
	s, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: schema, MaxConns: 10})
	require.NoError(b, err, "PostgreSQL unreachable at %s (set %s)", url, postgresURLEnv)
	b.Cleanup(func() {
		s.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			b.Errorf("drop schema %s: %v", schema, err)
		}
	})
	require.NoError(b, s.Migrate(ctx))
	return s, schema
}
