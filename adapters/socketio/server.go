package socketio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// setUpTimeout bounds what a connection waits for at connect (its rooms, their subscriptions, presence) and
// for a membership change.
const setUpTimeout = 10 * time.Second

// Server is the Socket.IO endpoint.
type Server struct {
	cfg        Config
	svc        *chat.Service
	log        *slog.Logger
	io         *socket.Server
	handler    http.Handler
	hub        *hub
	writers    *writers
	dispatcher *dispatcher
	metrics    *metrics
	routes     map[string]handlerFunc

	// setups admits connection set-ups (authentication, rooms, presence) a few at a time: in a reconnect storm
	// they queue here instead of taking every CPU from the delivery of live conversations.
	setups chan struct{}
	// drops bounds presence drops after the grace period (half as many as set-ups): when the sockets of a
	// storm all time out at once, their offline announcements must not take every store and Redis connection
	// from the set-ups of the sockets coming back.
	drops chan struct{}

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
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger, metrics: newMetrics()}
	s.routes = s.handlers()
	s.setups = make(chan struct{}, cfg.ConnectConcurrency)
	s.drops = make(chan struct{}, max(1, cfg.ConnectConcurrency/2))
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.writers = newWriters(cfg, s.metrics)
	s.dispatcher = newDispatcher(s)
	sub, err := fanout.Subscribe(s.ctx, s.dispatcher.dispatch)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.hub = newHub(newSubscriptions(sub, cfg.TopicLinger, s.log))
	reg := cfg.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if err := s.metrics.register(reg, s); err != nil {
		s.stop()
		_ = s.hub.subs.close()
		return nil, err
	}

	opts := socket.DefaultServerOptions()
	opts.SetServeClient(false)
	opts.SetMaxHttpBufferSize(cfg.MaxPayloadBytes)
	opts.SetPingInterval(cfg.PingInterval)
	opts.SetPingTimeout(cfg.PingTimeout)
	// Long-polling stays the library's; websocket is ours (see wsTransport).
	opts.SetTransports(types.NewSet[transports.TransportCtor](engine.Polling, &wsBuilder{w: s.writers}))
	// Tokens travel in the handshake payload, never in cookies, so any origin may connect.
	opts.SetCors(&types.Cors{Origin: "*"})
	opts.SetAdapter(roomlessAdapters{})
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

// stop ends the goroutines New started before the subscription.
func (s *Server) stop() {
	s.cancel()
	s.dispatcher.close()
	s.writers.close()
}

// Handler serves the Socket.IO protocol (mount it at /socket.io/).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.ServeHTTP) }

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
		c.eio.Close(false)
	}
	s.io.Close(nil)
	for _, c := range conns {
		s.closeConn(c, false)
	}
	s.cancel()
	s.wg.Wait()
	err := s.hub.subs.close()
	s.dispatcher.close()
	s.writers.close()
	return err
}

// socketData is what the handshake leaves on the socket: the user, and the session that authenticated it
// (the socket ends with it).
type socketData struct {
	addr    string // the client's address (chat.ClientOf of the handshake request)
	userID  string
	session string    // the session's token hash
	expires time.Time // when the session expires
}

// authenticate is the handshake middleware: auth {token} must be a live session. It runs on a goroutine of its
// own, so that the store lookup neither holds up nor grows the stack of the connection's reader.
func (s *Server) authenticate(sock *socket.Socket, next func(*socket.ExtendedError)) {
	token, _ := sock.Handshake().Auth["token"].(string)
	s.mu.Lock()
	if s.closing { // the client retries elsewhere (or here, after a restart)
		s.mu.Unlock()
		sock.Conn().Close(false)
		return
	}
	s.wg.Add(1) // under s.mu: Close waits only once closing is set
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, setUpTimeout)
		defer cancel()
		release, err := s.admit(ctx)
		if err != nil {
			sock.Conn().Close(false) // this node is stopping or overloaded: the client retries
			return
		}
		u, sess, err := s.svc.AuthenticateSession(ctx, token)
		release()
		if err != nil {
			e := core.AsError(err)
			if e.Code != core.CodeUnauthenticated {
				// Not the client's fault (this node is stopping, the store is unreachable), but a connect_error
				// stops a Socket.IO client for good: close the transport instead, so that the refusal below is
				// never written and the client retries, here or elsewhere.
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
		addr := clientAddr(sock)
		if addr != "" && s.hub.fromAddr(addr) >= s.cfg.MaxSocketsPerAddress {
			next(socket.NewExtendedError("too many connections from this address",
				map[string]any{"code": string(core.CodeRateLimited)}))
			return
		}
		sock.SetData(socketData{addr: addr, userID: u.ID, session: sess.TokenHash, expires: sess.ExpiresAt})
		if ws, ok := sock.Conn().Transport().(*wsTransport); ok {
			ws.hold() // the CONNECT written now goes out once the socket is set up (connected releases it)
		}
		next(nil)
	}()
}

// clientAddr is the client address of a socket: the one the HTTP layer put in its handshake request's context
// (chat.WithClient), or "" when none did.
func clientAddr(sock *socket.Socket) string {
	hc := sock.Conn().Request()
	if hc == nil || hc.Request() == nil {
		return ""
	}
	return chat.ClientOf(hc.Request().Context())
}

// release writes a held CONNECT (and what followed it) to a websocket client; a no-op on long-polling.
func release(sock *socket.Socket) {
	if ws, ok := sock.Conn().Transport().(*wsTransport); ok {
		ws.release()
	}
}

// connected sets up an authenticated socket: event handlers at once, then on its queue its rooms, their
// fan-out topics and presence. Requests queue up behind the set-up. A websocket client receives its CONNECT
// only once the set-up is done: from then on it misses no event of its conversations. (A long-polling client
// may hear of its CONNECT sooner; its requests, a sync first, still queue behind the set-up.)
func (s *Server) connected(sock *socket.Socket) {
	// The library answers CONNECT before it files the socket under its client, and closes the transport when a
	// packet arrives in between (servers/socket v3.0.6: namespace.go:342-344, client.go:216-224). Such a socket
	// never hears of its close: set up nothing for it, or it would stay in the hub, online, for good. (On
	// websocket it cannot happen: the CONNECT is held until the socket is set up, see wsTransport.hold.)
	if sock.Conn().ReadyState() != "open" {
		sock.Disconnect(true) // drops the library's own record of the socket
		release(sock)
		return
	}
	data, _ := sock.Data().(socketData)
	c := newConn(s, sock, data.userID)
	c.session, c.addr = data.session, data.addr
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		// Closing the transport without a disconnect packet: the client retries, elsewhere or after a restart.
		sock.Conn().Close(false)
		return
	}
	added := s.hub.add(c, s.cfg.MaxSocketsPerUser, s.cfg.MaxSocketsPerAddress)
	s.mu.Unlock()
	if !added {
		// Lost a race with another handshake of the same user: a disconnect packet stops the client retrying.
		sock.Disconnect(false)
		release(sock)
		return
	}
	s.watchEngine(c)
	sock.On("disconnect", func(args ...any) {
		reason, _ := first[string](args)
		s.metrics.disconnects.WithLabelValues(disconnectReason(reason)).Inc()
		if reason == "ping timeout" {
			attrs := []any{"user", c.userID}
			if ws, ok := c.eio.Transport().(*wsTransport); ok {
				attrs = append(attrs, ws.diagnose()...)
			}
			s.log.Info("socket lost to a ping timeout", attrs...)
		}
		s.closeConn(c, true)
	})
	s.handle(c)
	c.endsAt(data.expires, func() { s.endSession(c, "expired") })
	queued := c.enqueueControl(func() {
		defer release(sock)
		ctx, cancel := context.WithTimeout(s.ctx, setUpTimeout)
		defer cancel()
		if err := s.setUp(ctx, c); err != nil {
			s.log.Warn("socket set-up failed", "user", c.userID, "err", err)
			sock.Disconnect(true)
		}
	})
	if !queued { // closed already
		release(sock)
	}
	// The same library race can close the transport after the check above but before the disconnect handler
	// was registered; heartbeats sweep any such connection later, this catches the common case now.
	if sock.Conn().ReadyState() != "open" {
		s.closeConn(c, true)
	}
}

// watchEngine follows a connection that is still on long-polling: broadcasts go straight to its websocket
// transport once the upgrade completes (the engine then writes through it), and until then the engine's write
// buffer (which only long-polling lets grow) is counted against the outbound bound. A socket that connected
// over websocket needs none of it, and idle sockets are many: listeners are only added where needed.
func (s *Server) watchEngine(c *conn) {
	if ws, ok := c.eio.Transport().(*wsTransport); ok {
		ws.armed.Store(true) // its first transport, or upgraded before the socket connected
		return
	}
	_ = c.eio.On("upgrade", func(args ...any) {
		if t, ok := first[transports.Transport](args); ok {
			if ws, ok := t.(*wsTransport); ok {
				ws.armed.Store(true)
			}
		}
	})
	_ = c.eio.On("packetCreate", func(...any) { c.backlog.Add(1) })
	_ = c.eio.On("flush", func(args ...any) {
		if wbuf, ok := first[[]*packet.Packet](args); ok {
			c.backlog.Add(-int64(len(wbuf)))
		}
	})
	if ws, ok := c.eio.Transport().(*wsTransport); ok { // upgraded while the listener was being added
		ws.armed.Store(true)
	}
}

// admit waits for a set-up slot; release gives it back.
func (s *Server) admit(ctx context.Context) (release func(), err error) {
	select {
	case s.setups <- struct{}{}:
		return func() { <-s.setups }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// setUp joins the user's rooms and topics, then records presence. The store reads hold a set-up slot; waiting
// for this node's subscriptions to the new topics does not (in a storm the reconciler batches the topics of many
// waiting connections into one round trip, and a slot held across that wait would starve the reads behind it).
func (s *Server) setUp(ctx context.Context, c *conn) error {
	release, err := s.admit(ctx)
	if err != nil {
		return err
	}
	ids, err := s.svc.ConversationIDs(ctx, c.userID)
	release()
	if err != nil {
		return err
	}
	topics := make([]string, 0, len(ids)+1)
	topics = append(topics, core.UserTopic(c.userID))
	for _, id := range ids {
		topics = append(topics, core.ConversationTopic(id))
	}
	if err := c.join(ctx, topics...); err != nil {
		return err
	}
	if release, err = s.admit(ctx); err != nil {
		return err
	}
	defer release()
	return s.svc.Connected(ctx, c.userID, c.id)
}

// endSession disconnects a connection whose session ended (logged out, or expired): the client is told (a
// Socket.IO disconnect, so it does not reconnect by itself with the same token) and closes its connection;
// one that does not is closed after sessionEndGrace. (Closing at once races the disconnect packet: clients
// then see a transport close, and reconnect.)
func (s *Server) endSession(c *conn, why string) {
	s.metrics.sessionsEnded.WithLabelValues(why).Inc()
	c.sock.Disconnect(false)
	time.AfterFunc(sessionEndGrace, func() { c.eio.Close(false) })
}

// sessionEndGrace is how long a client whose session ended has to close its connection itself.
const sessionEndGrace = time.Second

// onSessionEnded ends this node's connections of the sessions that were logged out.
func (s *Server) onSessionEnded(se core.SessionEnded) {
	for _, c := range s.hub.conns(se.UserID) {
		if se.Ends(c.session) {
			s.endSession(c, "logged_out")
		}
	}
}

// closeConn forgets a connection; presence drops it after the grace period (at once when the node stops).
func (s *Server) closeConn(c *conn, grace bool) {
	s.hub.remove(c)
	if !c.close() {
		return // closed before: by Close, or by the sweep of heartbeats
	}
	drop := func() {
		select { // once the node stops, drops go at once: nothing else is left to wait for
		case s.drops <- struct{}{}:
			defer func() { <-s.drops }()
		case <-s.ctx.Done():
		}
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
				if c.eio.ReadyState() != "open" { // closed without telling us (see connected)
					s.closeConn(c, true)
					continue
				}
				if err := s.svc.Heartbeat(s.ctx, c.userID, c.id); err != nil {
					s.log.Warn("presence heartbeat", "user", c.userID, "err", err)
				}
			}
			// Users of a node that froze or died went offline without a disconnect: announce them.
			if n, err := s.svc.ExpirePresence(s.ctx); err != nil {
				s.log.Warn("presence expiry", "err", err, "announced", n)
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

// ServeHTTP is Handler's: it hands the library a ResponseWriter that lets go of net/http's own once the
// request is over or the connection is hijacked. The library keeps a reference to the first request of every
// session for the session's whole life; through the ResponseWriter that would keep net/http's connection state
// and its two 4 KiB buffers alive for every idle websocket.
//
// For the same reason the library gets a copy of the request with only the headers it (and the websocket
// upgrade) reads: a browser's cookies and user agent would otherwise be held, and copied into the
// handshake, for as long as the socket lives.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("sid") == "" { // a new Engine.IO session: the handshake allowance of the address
		if err := s.svc.AdmitConnection(r.Context()); err != nil {
			s.refuseHandshake(w, err)
			return
		}
	}
	d := &detachable{w: w}
	defer d.detach()
	s.handler.ServeHTTP(d, slimRequest(r))
}

// refuseHandshake answers a handshake refused before the library sees it: 429 with Retry-After (or 503), and
// a JSON body with the error code, as Engine.IO answers a refused handshake with a JSON body.
func (s *Server) refuseHandshake(w http.ResponseWriter, err error) {
	e := core.AsError(err)
	status := http.StatusServiceUnavailable
	body := map[string]any{"code": e.Code, "message": e.Message}
	if e.Code == core.CodeRateLimited {
		status = http.StatusTooManyRequests
		wait := max(e.RetryAfter, time.Millisecond)
		body["retryAfterMs"] = int64((wait + time.Millisecond - 1) / time.Millisecond)
		w.Header().Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
	} else {
		s.log.Warn("handshake admission failed", "err", err)
	}
	s.metrics.handshakesRefused.WithLabelValues(string(e.Code)).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// libraryHeaders are the request headers the library and gorilla/websocket read: CORS, long-polling bodies
// and compression, and the websocket handshake.
var libraryHeaders = []string{"Origin", "Content-Type", "Content-Length", "Accept-Encoding",
	"Access-Control-Request-Method", "Access-Control-Request-Headers", "Connection", "Upgrade",
	"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol"}

// slimRequest returns a shallow copy of r that carries only libraryHeaders.
func slimRequest(r *http.Request) *http.Request {
	n := 0
	for _, k := range libraryHeaders {
		if _, ok := r.Header[k]; ok {
			n++
		}
	}
	h := make(http.Header, n)
	for _, k := range libraryHeaders {
		if v, ok := r.Header[k]; ok {
			h[k] = v
		}
	}
	slim := new(http.Request)
	*slim = *r
	slim.Header = h
	return slim
}

// detachable is a ResponseWriter that forwards to w until detached (then it writes nothing).
type detachable struct {
	mu sync.Mutex
	w  http.ResponseWriter
}

func (d *detachable) detach() {
	d.mu.Lock()
	d.w = nil
	d.mu.Unlock()
}

func (d *detachable) get() http.ResponseWriter {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.w
}

// Header implements http.ResponseWriter.
func (d *detachable) Header() http.Header {
	if w := d.get(); w != nil {
		return w.Header()
	}
	return http.Header{}
}

// Write implements http.ResponseWriter.
func (d *detachable) Write(b []byte) (int, error) {
	if w := d.get(); w != nil {
		return w.Write(b)
	}
	return 0, http.ErrHandlerTimeout
}

// WriteHeader implements http.ResponseWriter.
func (d *detachable) WriteHeader(code int) {
	if w := d.get(); w != nil {
		w.WriteHeader(code)
	}
}

// Flush implements http.Flusher.
func (d *detachable) Flush() {
	if w := d.get(); w != nil {
		_ = http.NewResponseController(w).Flush()
	}
}

// Hijack implements http.Hijacker; the connection is the caller's from then on.
func (d *detachable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w := d.get()
	if w == nil {
		return nil, nil, http.ErrHijacked
	}
	c, rw, err := http.NewResponseController(w).Hijack()
	if err == nil {
		d.detach()
	}
	return c, rw, err
}

// disconnectReason keeps the disconnect reasons of the library's closed set as metric labels; anything else
// (an error's text) is "other", so that the label stays bounded.
func disconnectReason(r string) string {
	switch r {
	case "transport close", "transport error", "ping timeout", "parse error", "forced close", "forced server close",
		"server namespace disconnect", "client namespace disconnect", "server shutting down":
		return r
	}
	return "other"
}
