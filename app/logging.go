package app

import (
	"io"
	"log/slog"
)

// NewLogger returns the process's structured logger (JSON to w).
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel) // validated in Parse
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
