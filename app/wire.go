//go:build wireinject

package app

import (
	"context"
	"log/slog"

	"github.com/google/wire"
)

// InitStandalone assembles the standalone role: SQLite storage and in-process log, fan-out and limits.
func InitStandalone(ctx context.Context, cfg Config, log *slog.Logger) (*Server, func(), error) {
	wire.Build(CoreSet, InProcessSet, SQLiteSet, HTTPSet)
	return nil, nil, nil
}
