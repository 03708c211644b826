package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// Sequencing is the sequencer fed by the log's consumer, in roles that sequence.
type Sequencing struct {
	Consumer ports.CommandConsumer
	Handle   func(context.Context, []core.SendCommand) error
}

// Server is one running process: an HTTP listener, and the parts its role runs.
type Server struct {
	cfg      Config
	log      *slog.Logger
	handler  http.Handler
	seq      *Sequencing             // nil in roles that do not sequence
	realtime *socketio.Server        // nil in roles that serve no clients
	sweep    *SessionSweep           // nil in roles that leave it to others
	webhooks *chat.WebhookDispatcher // nil in roles that leave it to others
	reg      *prometheus.Registry
}

// NewServer assembles a server from its parts.
func NewServer(cfg Config, log *slog.Logger, handler http.Handler, seq *Sequencing, realtime *socketio.Server,
	sweep *SessionSweep, webhooks *chat.WebhookDispatcher, reg *prometheus.Registry) *Server {
	return &Server{cfg: cfg, log: log, handler: handler, seq: seq, realtime: realtime, sweep: sweep, webhooks: webhooks, reg: reg}
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
	// Each Consume call is one member of the workers' consumer group with its share of the partitions, so
	// several of them sequence different conversations' batches at once (their round trips to the store
	// overlap) while each partition, and so each conversation, stays in order. The standalone log has a
	// single queue: one consumer.
	consumers := s.cfg.SequencerConsumers
	if !s.cfg.Distributed() {
		consumers = 1
	}
	errc := make(chan error, 2+consumers)
	if s.seq != nil {
		for range consumers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.seq.Consumer.Consume(consumerCtx, s.seq.Handle); err != nil {
					errc <- fmt.Errorf("sequencer: %w", err)
				}
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.sweep.Run(consumerCtx)
	}()
	if s.webhooks != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.webhooks.Run(consumerCtx)
		}()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen %s: %w", s.cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", telemetry.MetricsHandler(s.reg))
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer func() { _ = msrv.Close() }()
		s.log.Info("metrics listener", "addr", mln.Addr().String())
	}
	if s.cfg.DebugAddr != "" {
		dbg, err := s.serveDebug()
		if err != nil {
			_ = srv.Close()
			return err
		}
		defer func() { _ = dbg.Close() }()
	}

	var runErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case runErr = <-errc:
		s.log.Error("stopping after a fatal error", "err", runErr)
	}
	// Sockets first: their clients reconnect elsewhere, and long-polling requests end instead of holding Shutdown.
	if s.realtime != nil {
		if err := s.realtime.Close(); err != nil {
			s.log.Warn("closing Socket.IO", "err", err)
		}
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

// serveDebug serves net/http/pprof on the loopback debug address, for profiling (see the README).
func (s *Server) serveDebug() (*http.Server, error) {
	ln, err := net.Listen("tcp", s.cfg.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", s.cfg.DebugAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	dbg := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = dbg.Serve(ln) }()
	s.log.Info("debug listener (pprof)", "addr", ln.Addr().String())
	return dbg, nil
}
