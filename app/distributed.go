package app

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/adapters/postgres"
	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/ports"
)

// PostgresSet binds the PostgreSQL store to every store port.
var PostgresSet = wire.NewSet(
	ProvidePostgres,
	wire.Bind(new(ports.UserStore), new(*postgres.Store)),
	wire.Bind(new(ports.APIKeyStore), new(*postgres.Store)),
	wire.Bind(new(ports.ModerationStore), new(*postgres.Store)),
	wire.Bind(new(ports.WebhookStore), new(*postgres.Store)),
	wire.Bind(new(ports.ChangeFeed), new(*postgres.Store)),
	wire.Bind(new(ports.Exclusive), new(*postgres.Store)),
	wire.Bind(new(ports.SessionStore), new(*postgres.Store)),
	wire.Bind(new(ports.ConversationStore), new(*postgres.Store)),
	wire.Bind(new(ports.MemberStore), new(*postgres.Store)),
	wire.Bind(new(ports.ContactStore), new(*postgres.Store)),
	wire.Bind(new(ports.BlockStore), new(*postgres.Store)),
	wire.Bind(new(ports.AttachmentStore), new(*postgres.Store)),
	wire.Bind(new(ports.ThreadStore), new(*postgres.Store)),
	ProvideBlobStore,
	wire.Bind(new(ports.SummaryStore), new(*postgres.Store)),
	wire.Bind(new(ports.HistoryStore), new(*postgres.Store)),
	wire.Bind(new(ports.SearchStore), new(*postgres.Store)),
	wire.Bind(new(ports.Ledger), new(*postgres.Store)),
)

// RedisSet provides cluster-wide fan-out, presence and rate limiting on Redis.
var RedisSet = wire.NewSet(
	ProvideRedis,
	redis.NewFanout, wire.Bind(new(ports.Fanout), new(*redis.Fanout)),
	redis.NewPresence, wire.Bind(new(ports.Presence), new(*redis.Presence)),
	redis.NewRateLimiter, wire.Bind(new(ports.RateLimiter), new(*redis.RateLimiter)),
)

// ProvidePostgres applies the schema (safe on every start: migrations take an advisory lock) and opens the pool.
func ProvidePostgres(ctx context.Context, cfg Config) (*postgres.Store, func(), error) {
	pc := postgres.Config{URL: cfg.PostgresURL, MaxConns: cfg.PostgresMaxConns, SearchLanguage: cfg.SearchLanguage}
	if err := postgres.Migrate(ctx, pc); err != nil {
		return nil, nil, err
	}
	store, err := postgres.Open(ctx, pc)
	if err != nil {
		return nil, nil, err
	}
	return store, store.Close, nil
}

// ProvideRedis connects to Redis.
func ProvideRedis(ctx context.Context, cfg Config, log *slog.Logger) (*redis.Client, func(), error) {
	c, err := redis.Open(ctx, redis.Config{URL: cfg.RedisURL, KeyPrefix: cfg.RedisPrefix})
	if err != nil {
		return nil, nil, err
	}
	return c, func() {
		if err := c.Close(); err != nil {
			log.Warn("closing redis", "err", err)
		}
	}, nil
}

// ProvideKafkaConfig maps process configuration onto the Kafka adapter's.
func ProvideKafkaConfig(cfg Config, log *slog.Logger) kafka.Config {
	return kafka.Config{Brokers: cfg.KafkaBrokers, Topic: cfg.KafkaTopic, Partitions: cfg.KafkaPartitions,
		GroupID: cfg.KafkaGroup, SessionTimeout: cfg.KafkaSessionTimeout, BatchTimeout: cfg.KafkaProduceLinger,
		MaxBatch: cfg.KafkaMaxBatch, BatchLinger: cfg.KafkaBatchLinger, BatchGap: cfg.KafkaBatchGap, Logger: log}
}

// ProvideKafkaLog creates the command topic if it is missing and opens the producer.
func ProvideKafkaLog(ctx context.Context, kc kafka.Config, log *slog.Logger) (*kafka.Log, func(), error) {
	if err := kafka.EnsureTopic(ctx, kc); err != nil {
		return nil, nil, err
	}
	l, err := kafka.NewLog(kc)
	if err != nil {
		return nil, nil, err
	}
	return l, func() {
		if err := l.Close(); err != nil {
			log.Warn("closing the kafka producer", "err", err)
		}
	}, nil
}

// ProvideKafkaConsumer creates the command topic if it is missing and returns the workers' group consumer.
func ProvideKafkaConsumer(ctx context.Context, kc kafka.Config) (*kafka.Consumer, error) {
	if err := kafka.EnsureTopic(ctx, kc); err != nil {
		return nil, err
	}
	return kafka.NewConsumer(kc)
}

// ProvideGatewayChecks makes every external service a readiness check of an API role.
func ProvideGatewayChecks(pg *postgres.Store, rc *redis.Client, kl *kafka.Log) Checks {
	return Checks{"postgres": pg, "redis": rc, "kafka": kl}
}

// ProvideWorkerChecks makes the worker's services its readiness checks.
func ProvideWorkerChecks(pg *postgres.Store, rc *redis.Client) Checks {
	return Checks{"postgres": pg, "redis": rc}
}

// ProvideProbes is a worker's HTTP surface: health, readiness and metrics only.
func ProvideProbes(cfg Config, ready *telemetry.Checker, reg *prometheus.Registry) http.Handler {
	if cfg.MetricsAddr != "" {
		return telemetry.ProbeHandler(ready, nil) // metrics have a listener of their own
	}
	return telemetry.ProbeHandler(ready, reg)
}

// NoSequencing is for roles that do not consume the log.
func NoSequencing() *Sequencing { return nil }

// NoRealtime is for roles that serve no clients.
func NoRealtime() *socketio.Server { return nil }
