package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// Server is one running process: an HTTP listener and, in roles that sequence, the log consumer.
type Server struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	consumer ports.CommandConsumer // nil in roles that do not sequence
	seq      *chat.Sequencer
	realtime *socketio.Server
}

// NewServer assembles a server from its parts.
func NewServer(cfg Config, log *slog.Logger, handler http.Handler, consumer ports.CommandConsumer, seq *chat.Sequencer,
	realtime *socketio.Server) *Server {
	return &Server{cfg: cfg, log: log, handler: handler, consumer: consumer, seq: seq, realtime: realtime}
}

// Run serves until ctx is cancelled, then shuts down gracefully: the listener stops taking requests, in-flight
// requests get cfg.ShutdownTimeout to finish, then the sequencer stops after its current batch.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.log.Info("scalechat listening", "addr", ln.Addr().String(), "role", s.cfg.Role, "node", s.cfg.Node)

	consumerCtx, stopConsumer := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsumer()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	if s.consumer != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.consumer.Consume(consumerCtx, s.seq.Handle); err != nil {
				errc <- fmt.Errorf("sequencer: %w", err)
			}
		}()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case runErr = <-errc:
		s.log.Error("stopping after a fatal error", "err", runErr)
	}
	// Sockets first: their clients reconnect elsewhere, and long-polling requests end instead of holding Shutdown.
	if err := s.realtime.Close(); err != nil {
		s.log.Warn("closing Socket.IO", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
		_ = srv.Close()
	}
	// Sends still waiting were answered or timed out during Shutdown; the sequencer can stop now.
	stopConsumer()
	wg.Wait()
	return runErr
}
