package socketio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/argon2id"
	"github.com/scalechat/scalechat/adapters/blobfs"
	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// env is a Socket.IO endpoint over a real chat.Service on the in-process adapters (memory store, log, fan-out,
// sequencer), served on a loopback HTTP server; clients speak engine.io over raw websockets.
type env struct {
	t   *testing.T
	svc *chat.Service
	srv *httptest.Server
	rt  *socketio.Server
	reg *prometheus.Registry
	ids atomic.Int64
}

func newEnv(t *testing.T, cfg socketio.Config) *env {
	blobs, err := blobfs.Open(t.TempDir())
	require.NoError(t, err)
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hasher, err := argon2id.New(argon2id.TestConfig(), 64)
	require.NoError(t, err)
	store, log, fanout, clock := memory.NewStore(), memory.NewLog(memory.LogConfig{}), memory.NewFanout(), memory.SystemClock{}
	svc, err := chat.New(ctx, chat.Config{Node: "test", SendRate: core.Rate{Limit: 1_000_000, Per: time.Second}},
		chat.Deps{Users: store, APIKeys: store, Moderation: store, Webhooks: store, Sessions: store, Conversations: store, Members: store, Contacts: store, Blocks: store, Attachments: store, Threads: store, Blobs: blobs, Summaries: store,
			History: store, Search: store, Ledger: store, Log: log, Fanout: fanout, Limiter: memory.NewRateLimiter(clock),
			Presence: memory.NewPresence(clock), Hasher: hasher, Clock: clock, IDs: memory.UUIDv7{}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	seq := chat.NewSequencer(store, fanout, nil)
	done := make(chan struct{})
	go func() { defer close(done); _ = log.Consume(ctx, seq.Handle) }()
	t.Cleanup(func() { cancel(); <-done })

	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	rt, err := socketio.New(cfg, svc, fanout)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", rt.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		require.NoError(t, rt.Close())
		srv.Close()
	})
	return &env{t: t, svc: svc, srv: srv, rt: rt, reg: reg}
}

// user registers and logs in a fresh user.
func (e *env) user(name string) (core.User, string) {
	e.t.Helper()
	name = fmt.Sprintf("%s%d", name, e.ids.Add(1))
	ctx := context.Background()
	u, err := e.svc.Register(ctx, chat.RegisterInput{Username: name, Password: "correct horse battery"})
	require.NoError(e.t, err)
	l, err := e.svc.LogIn(ctx, name, "correct horse battery")
	require.NoError(e.t, err)
	return u, l.Token
}

// group creates a group of owner and members.
func (e *env) group(owner core.User, members ...core.User) string {
	e.t.Helper()
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	sum, _, err := e.svc.CreateConversation(context.Background(), owner.ID,
		chat.CreateInput{Kind: core.KindGroup, Title: "g", MemberIDs: ids})
	require.NoError(e.t, err)
	return sum.ID
}

// send sends a message as u and returns it, sequenced.
func (e *env) send(u core.User, conversationID, body string) core.Message {
	e.t.Helper()
	out, err := e.svc.Send(context.Background(), u.ID, chat.SendInput{ConversationID: conversationID,
		ClientMsgID: fmt.Sprintf("c%d", e.ids.Add(1)), Body: body})
	require.NoError(e.t, err)
	return out.Message
}

// counter reads a counter (or the sum of a counter vector's series matching labels) from the metrics.
func (e *env) counter(name string, labels map[string]string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	require.NoError(e.t, err)
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metrics
				}
			}
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

// client is a raw engine.io v4 / Socket.IO v5 client over one websocket.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

// dial connects with token and completes the Socket.IO CONNECT. readBuf sets the socket's receive buffer
// (0: the system's), so that a client that stops reading fills up quickly.
func (e *env) dial(token string, readBuf int) *client {
	e.t.Helper()
	c := e.open(readBuf)
	auth, _ := json.Marshal(map[string]string{"token": token})
	c.write("40" + string(auth))
	connected := c.next()
	require.True(e.t, strings.HasPrefix(connected, "40{"), "connect: %s", connected)
	return c
}

// open opens an engine.io websocket session (its open packet read) without connecting to a namespace.
func (e *env) open(readBuf int) *client {
	e.t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && readBuf > 0 {
			_ = c.(*net.TCPConn).SetReadBuffer(readBuf)
		}
		return c, err
	}}
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, _, err := d.Dial(url, nil)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = ws.Close() })
	c := &client{t: e.t, ws: ws}
	open := c.next()
	require.True(e.t, strings.HasPrefix(open, "0{"), "open packet: %s", open)
	return c
}

func (c *client) write(s string) {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteMessage(websocket.TextMessage, []byte(s)))
}

// next returns the next packet that is not a ping (pings are answered).
func (c *client) next() string {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := c.ws.ReadMessage()
		require.NoError(c.t, err)
		if string(data) == "2" {
			c.write("3")
			continue
		}
		return string(data)
	}
}

// event reads the next `event` broadcast and decodes its argument.
func (c *client) event() map[string]any {
	c.t.Helper()
	for {
		p := c.next()
		if !strings.HasPrefix(p, `42["event",`) {
			continue
		}
		var args []json.RawMessage
		require.NoError(c.t, json.Unmarshal([]byte(p[2:]), &args))
		require.Len(c.t, args, 2)
		var ev map[string]any
		require.NoError(c.t, json.Unmarshal(args[1], &ev))
		return ev
	}
}

// closedWithin reports whether the server closed the connection within d (reads are discarded).
func (c *client) closedWithin(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_ = c.ws.SetReadDeadline(deadline)
		if _, _, err := c.ws.ReadMessage(); err != nil {
			var ne net.Error
			return !(asNetErr(err, &ne) && ne.Timeout())
		}
	}
	return false
}

func asNetErr(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// gauge reads a gauge from the metrics.
func (e *env) gauge(name string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	require.NoError(e.t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	e.t.Fatalf("no metric %s", name)
	return 0
}
