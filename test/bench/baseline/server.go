// Package baseline is the bench's physical reference: the plainest WebSocket broadcast server one would write
// in Go with github.com/coder/websocket. Every text message a client sends is broadcast to every connected
// client (the sender included), with the idiomatic shape — a reading goroutine per connection, a bounded
// outbound channel and a writing goroutine — and nothing else: no authentication, rooms, storage or
// protocol on top. Whatever scalechat does per delivery beyond this is what its figures are compared with.
//
// It serves /metrics in the Prometheus text format (go_goroutines, its connection count and its drops), so
// that the bench scrapes it like a scalechat process.
package baseline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// Tunables of the reference server. The queue depth and write timeout match what a careful production
// broadcast server would pick; a client that falls behind loses messages (counted) rather than stalling others.
const (
	queueDepth   = 256
	writeTimeout = 5 * time.Second
	readLimit    = 64 << 10
)

// Server broadcasts every text message to every client.
type Server struct {
	mu      sync.RWMutex
	clients map[*client]struct{}

	dropped       atomic.Uint64 // messages not queued for a full client
	writeTimeouts atomic.Uint64 // clients closed because a write took too long
	received      atomic.Uint64
}

type client struct {
	conn *websocket.Conn
	out  chan []byte
}

// New returns an empty server.
func New() *Server { return &Server{clients: map[*client]struct{}{}} }

// ServeHTTP serves /metrics and, on any other path, the WebSocket endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		s.metrics(w)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	conn.SetReadLimit(readLimit)
	c := &client{conn: conn, out: make(chan []byte, queueDepth)}
	s.mu.Lock()
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go s.write(ctx, c, cancel)
	s.read(ctx, c)
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	_ = conn.CloseNow()
}

// read broadcasts what c sends until it goes away.
func (s *Server) read(ctx context.Context, c *client) {
	for {
		typ, msg, err := c.conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		s.received.Add(1)
		s.broadcast(msg)
	}
}

// broadcast queues msg for every client; the slice is shared, since nobody writes to it after this.
func (s *Server) broadcast(msg []byte) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.clients {
		select {
		case c.out <- msg:
		default:
			s.dropped.Add(1)
		}
	}
}

// write sends c's queue; a write slower than writeTimeout closes the client.
func (s *Server) write(ctx context.Context, c *client, cancel context.CancelFunc) {
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-c.out:
			wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
			err := c.conn.Write(wctx, websocket.MessageText, msg)
			wcancel()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					s.writeTimeouts.Add(1)
				}
				_ = c.conn.CloseNow()
				return
			}
		}
	}
}

// metrics writes the Prometheus text exposition of the server's state.
func (s *Server) metrics(w io.Writer) {
	s.mu.RLock()
	n := len(s.clients)
	s.mu.RUnlock()
	fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# TYPE baseline_connections gauge\nbaseline_connections %d\n", n)
	fmt.Fprintf(w, "# TYPE baseline_received_total counter\nbaseline_received_total %d\n", s.received.Load())
	fmt.Fprintf(w, "# TYPE baseline_broadcast_dropped_total counter\nbaseline_broadcast_dropped_total %d\n", s.dropped.Load())
	fmt.Fprintf(w, "# TYPE baseline_socket_closed_total counter\nbaseline_socket_closed_total{reason=\"write_timeout\"} %d\n",
		s.writeTimeouts.Load())
}

// Main runs the server as a process: `baseline-server --addr 127.0.0.1:PORT`. It prints "listening" on stderr
// once it accepts connections and stops on SIGINT or SIGTERM.
func Main(args []string) int {
	fs := flag.NewFlagSet("baseline-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Print(err)
		return 1
	}
	srv := &http.Server{Handler: New(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
	}()
	fmt.Fprintln(os.Stderr, "baseline-server listening on", ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
		return 1
	}
	return 0
}
