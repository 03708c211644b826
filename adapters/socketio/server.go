package socketio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// Server is the Socket.IO endpoint.
type Server struct {
	cfg     Config
	svc     *chat.Service
	log     *slog.Logger
	io      *socket.Server
	handler http.Handler
	hub     *hub

	ctx    context.Context // lives until Close: background work of connections
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // orders Close against connections being added
	closing bool
}

// New builds the endpoint and subscribes to the fan-out. Mount Handler at /socket.io/.
func New(cfg Config, svc *chat.Service, fanout ports.Fanout) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if svc == nil || fanout == nil {
		return nil, errors.New("socketio: a service and a fan-out are required")
	}
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	sub, err := fanout.Subscribe(s.ctx, s.dispatch)
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.hub = newHub(sub)

	opts := socket.DefaultServerOptions()
	opts.SetServeClient(false)
	opts.SetMaxHttpBufferSize(cfg.MaxPayloadBytes)
	opts.SetPingInterval(cfg.PingInterval)
	opts.SetPingTimeout(cfg.PingTimeout)
	// Tokens travel in the handshake payload, never in cookies, so any origin may connect.
	opts.SetCors(&types.Cors{Origin: "*"})
	s.io = socket.NewServer(nil, opts)
	s.io.Use(s.authenticate)
	s.io.On("connection", func(args ...any) {
		if sock, ok := first[*socket.Socket](args); ok {
			s.connected(sock)
		}
	})
	s.handler = s.io.ServeHandler(opts)

	s.wg.Add(1)
	go s.heartbeats()
	return s, nil
}

// Handler serves the Socket.IO protocol (mount it at /socket.io/).
func (s *Server) Handler() http.Handler { return s.handler }

// Close disconnects every socket (clients reconnect, to another node if this one is going away), marks their
// users' connections gone, and stops the fan-out subscription.
func (s *Server) Close() error {
	// From here on connected turns sockets away, so the list below is every connection there will be: one that
	// a client opened after it (clients reconnect at once) would otherwise run on, and wg.Wait never return.
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	conns := s.hub.all()
	for _, c := range conns {
		// Closing the transport without a disconnect packet makes clients reconnect (to another node). Not
		// sock.Disconnect(true): it queues a disconnect packet before closing, and a client that still receives
		// it ("io server disconnect") stays away for good.
		c.sock.Conn().Close(false)
	}
	s.io.Close(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range conns {
		s.closeConn(ctx, c, false)
	}
	s.cancel()
	s.wg.Wait()
	return s.hub.sub.Close()
}

// socketData is what the handshake leaves on the socket.
type socketData struct{ userID string }

// authenticate is the handshake middleware: auth {token} must be a live session.
func (s *Server) authenticate(sock *socket.Socket, next func(*socket.ExtendedError)) {
	token, _ := sock.Handshake().Auth["token"].(string)
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	u, err := s.svc.Authenticate(ctx, token)
	if err != nil {
		e := core.AsError(err)
		if e.Code != core.CodeUnauthenticated {
			// Not the client's fault (this node is stopping, the store is unreachable), but a connect_error stops
			// a Socket.IO client for good: close the transport instead, so that the refusal below is never
			// written and the client retries, here or elsewhere.
			sock.Conn().Close(false)
		}
		next(socket.NewExtendedError(e.Message, map[string]any{"code": string(e.Code)}))
		return
	}
	if len(s.hub.conns(u.ID)) >= s.cfg.MaxSocketsPerUser {
		next(socket.NewExtendedError("too many connections for this user",
			map[string]any{"code": string(core.CodeRateLimited)}))
		return
	}
	sock.SetData(socketData{userID: u.ID})
	next(nil)
}

// connected sets up an authenticated socket: rooms, fan-out topics, presence and event handlers.
func (s *Server) connected(sock *socket.Socket) {
	// The library answers CONNECT before it files the socket under its client, and closes the transport when a
	// packet arrives in between (servers/socket v3.0.6: namespace.go:342-344, client.go:216-224). Such a socket
	// never hears of its close: set up nothing for it, or it would stay in the hub, online, for good.
	if sock.Conn().ReadyState() != "open" {
		sock.Disconnect(true) // drops the library's own record of the socket
		return
	}
	data, _ := sock.Data().(socketData)
	c := newConn(s, sock, data.userID)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		// Closing the transport without a disconnect packet: the client retries, elsewhere or after a restart.
		sock.Conn().Close(false)
		return
	}
	added := s.hub.add(c, s.cfg.MaxSocketsPerUser)
	if added {
		s.wg.Add(1) // for c.run
	}
	s.mu.Unlock()
	if !added {
		// Lost a race with another handshake of the same user: a disconnect packet stops the client retrying.
		sock.Disconnect(false)
		return
	}
	sock.On("disconnect", func(...any) {
		// Bounded: releasing topics waits for the fan-out (Redis) while holding the hub.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 10*time.Second)
		defer cancel()
		s.closeConn(ctx, c, true)
	})
	s.handle(c)
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	err := s.setUp(ctx, c)
	// Requests queue up until the socket is in its rooms (the client has its connect already): a sync answered
	// after that misses nothing, since whatever it did not read is published to rooms the socket is in.
	go func() { defer s.wg.Done(); c.run() }()
	if err != nil {
		s.log.Warn("socket set-up failed", "user", c.userID, "err", err)
		sock.Disconnect(true)
		return
	}
	// The same library race can close the transport after the check above but before the disconnect handler
	// was registered; heartbeats sweep any such connection later, this catches the common case now.
	if sock.Conn().ReadyState() != "open" {
		s.closeConn(ctx, c, true)
	}
}

// setUp joins the user's rooms and topics, then records presence.
func (s *Server) setUp(ctx context.Context, c *conn) error {
	if err := c.joinUser(ctx); err != nil {
		return err
	}
	ids, err := s.svc.ConversationIDs(ctx, c.userID)
	if err != nil {
		return err
	}
	if err := c.join(ctx, ids...); err != nil {
		return err
	}
	return s.svc.Connected(ctx, c.userID, c.id)
}

// closeConn forgets a connection; presence drops it after the grace period (at once when the node stops).
func (s *Server) closeConn(ctx context.Context, c *conn, grace bool) {
	s.hub.remove(c)
	if err := c.close(ctx); err != nil {
		s.log.Warn("releasing socket topics", "user", c.userID, "err", err)
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
		defer cancel()
		if err := s.svc.Disconnected(dctx, c.userID, c.id); err != nil {
			s.log.Warn("presence: dropping connection", "user", c.userID, "err", err)
		}
	}
	if !grace || s.cfg.PresenceGrace == 0 {
		drop()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-time.After(s.cfg.PresenceGrace):
		case <-s.ctx.Done():
		}
		drop()
	}()
}

// heartbeats keeps the presence of live connections fresh.
func (s *Server) heartbeats() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			for _, c := range s.hub.all() {
				if c.sock.Conn().ReadyState() != "open" { // closed without telling us (see connected)
					ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
					s.closeConn(ctx, c, true)
					cancel()
					continue
				}
				if err := s.svc.Heartbeat(s.ctx, c.userID, c.id); err != nil {
					s.log.Warn("presence heartbeat", "user", c.userID, "err", err)
				}
			}
		}
	}
}

// first returns args[0] as a T.
func first[T any](args []any) (T, bool) {
	var zero T
	if len(args) == 0 {
		return zero, false
	}
	v, ok := args[0].(T)
	return v, ok
}
