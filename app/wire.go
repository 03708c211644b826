//go:build wireinject

package app

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/ports"
)

// InitStandalone assembles the standalone role: SQLite storage and in-process log, fan-out and limits.
func InitStandalone(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(SystemSet, CoreSet, InProcessSet, SQLiteSet, APISet, ProvideSequencing, ProvideSessionSweep, ProvideWebhooks, NewServer)
	return nil, nil, nil
}

// InitGateway assembles a gateway: REST and Socket.IO producing to Kafka, on PostgreSQL and Redis.
func InitGateway(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(SystemSet, CoreSet, PostgresSet, RedisSet, APISet,
		ProvideKafkaConfig, ProvideKafkaLog, wire.Bind(new(ports.CommandLog), new(*kafka.Log)),
		ProvideGatewayChecks, NoSequencing, NoSessionSweep, NoWebhooks, NewServer)
	return nil, nil, nil
}

// InitWorker assembles a worker: the Kafka consumer group sequencing into PostgreSQL and fanning out on Redis.
func InitWorker(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(PostgresSet, RedisSet,
		ProvideKafkaConfig, ProvideKafkaConsumer, wire.Bind(new(ports.CommandConsumer), new(*kafka.Consumer)),
		ProvideSequencing, ProvideWorkerChecks, TelemetrySet, ProvideProbes, NoRealtime, ProvideSessionSweep,
		ProvideWebhooks, NewServer)
	return nil, nil, nil
}

// InitAll assembles gateway and worker in one process on the external services.
func InitAll(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(SystemSet, CoreSet, PostgresSet, RedisSet, APISet,
		ProvideKafkaConfig, ProvideKafkaLog, wire.Bind(new(ports.CommandLog), new(*kafka.Log)),
		ProvideKafkaConsumer, wire.Bind(new(ports.CommandConsumer), new(*kafka.Consumer)),
		ProvideGatewayChecks, ProvideSequencing, ProvideSessionSweep, ProvideWebhooks, NewServer)
	return nil, nil, nil
}
