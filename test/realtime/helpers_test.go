// Package realtime_test drives the Socket.IO endpoint of the real scalechat binary (standalone role, temporary
// data directory) with the Go Socket.IO client, over websocket and over HTTP long-polling. Accounts and
// conversations are set up through the generated REST SDK.
package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	sioclient "github.com/scalechat/scalechat/openapi/sdk/realtime"
	"github.com/scalechat/scalechat/test/harness"
)

// waitFor bounds every wait of these tests. It is generous: the binary is built with -race, several run at once,
// and on a small, busy machine a process can be starved for seconds.
const waitFor = 30 * time.Second

// quiet is how long a channel must stay empty for "nothing arrives" checks that have no ordering barrier.
const quiet = 400 * time.Millisecond

// transports are the engine.io transports every flow runs over.
var transports = []string{"websocket", "polling"}

// server is one scalechat process and an HTTP client of its own (its idle connections are dropped on restart).
type server struct {
	p    *harness.Process
	dir  string // its --data-dir
	http *http.Client
	ids  atomic.Int64 // for unique names and clientMsgIds
}

// startServer runs `scalechat serve` on a fresh data directory with a short presence grace period, and the
// flags of extra.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	dir := t.TempDir()
	p := harness.Start(t, harness.Options{
		// A send waits this long for its seq before the ack gives up: long enough that a loaded machine does
		// not turn the sequenced ack these tests expect into an error.
		Args: append([]string{"--data-dir", dir, "--log-level", "info", "--send-rate-limit", "100000",
			"--ack-timeout", "12s"}, extra...),
		Env: []string{"SCALECHAT_PRESENCE_GRACE=300ms"},
	})
	s := &server{p: p, dir: dir, http: &http.Client{Transport: &http.Transport{}, Timeout: waitFor}}
	t.Cleanup(s.http.CloseIdleConnections)
	t.Cleanup(func() { // why sockets closed, for a failure that lost one
		if t.Failed() {
			s.logSocketCounters(t)
		}
	})
	return s
}

// metricSum returns the sum of the server's metric series named name (over all their labels), 0 when there is
// none yet.
func (s *server) metricSum(t *testing.T, name string) float64 {
	t.Helper()
	res, err := s.http.Get(s.p.BaseURL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	sum := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.LastIndexByte(line, ' ') // label values may hold spaces; the value is the last field
		if i < 0 {
			continue
		}
		series, v := line[:i], line[i+1:]
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err, line)
		sum += f
	}
	return sum
}

// logSocketCounters logs the server's counts of closed and disconnected sockets by reason.
func (s *server) logSocketCounters(t *testing.T) {
	res, err := s.http.Get(s.p.BaseURL + "/metrics")
	if err != nil {
		t.Logf("metrics: %v", err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "scalechat_socket_closed_total") || strings.HasPrefix(line, "scalechat_socket_disconnects_total") ||
			strings.HasPrefix(line, "scalechat_socket_sessions_ended_total") {
			t.Logf("server metric: %s", line)
		}
	}
}

// stop stops the process gracefully (SIGTERM) and requires a clean exit; p.Restart starts it again on the same
// address and data directory.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.p.Stop()
	require.Equal(t, 0, s.p.ExitCode(), "a graceful stop exits 0")
	s.http.CloseIdleConnections()
}

// next returns a number unique within the server's tests.
func (s *server) next() int64 { return s.ids.Add(1) }

// rest returns an SDK client sending token as a bearer token (none when empty).
func (s *server) rest(t testing.TB, token string) *sdk.ClientWithResponses {
	t.Helper()
	opts := []sdk.ClientOption{sdk.WithHTTPClient(s.http)}
	if token != "" {
		opts = append(opts, sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := sdk.NewClientWithResponses(s.p.BaseURL, opts...)
	require.NoError(t, err)
	return c
}

// user is a registered, logged-in account.
type user struct {
	ID       string
	Username string
	Token    string
	api      *sdk.ClientWithResponses
	s        *server
}

// signUp registers a user named prefix plus a unique suffix and logs in.
func (s *server) signUp(t testing.TB, prefix string) *user {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a := harness.SignUp(t, ctx, s.rest(t, ""), fmt.Sprintf("%s%d", prefix, s.next()))
	return &user{ID: a.ID, Username: a.Username, Token: a.Token, api: s.rest(t, a.Token), s: s}
}

// createGroup creates a group conversation of u with members.
func (u *user) createGroup(t testing.TB, members ...*user) sdk.Conversation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	title := fmt.Sprintf("group %d", u.s.next())
	r, err := u.api.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
		Kind: sdk.CreateConversationRequestKindGroup, Title: &title, MemberIds: &ids})
	wantStatus(t, r, err, http.StatusCreated)
	return *r.JSON201
}

// addMember adds members to a conversation of u.
func (u *user) addMember(t testing.TB, convID string, members ...*user) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	r, err := u.api.AddMembersWithResponse(ctx, convID, sdk.AddMembersRequest{UserIds: ids})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, r.StatusCode(), "adding members: %s", r.Body)
}

// restEvents returns the conversation's events after seq (one page, enough for these tests).
func (u *user) restEvents(t testing.TB, convID string, after int64) []sdk.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	r, err := u.api.ListEventsWithResponse(ctx, convID, &sdk.ListEventsParams{After: &after})
	wantStatus(t, r, err, http.StatusOK)
	require.Nil(t, r.JSON200.Next, "more events than one page")
	return r.JSON200.Items
}

// apiResponse is what every generated response offers.
type apiResponse interface {
	StatusCode() int
	GetBody() []byte
}

func wantStatus(t testing.TB, r apiResponse, err error, status int) {
	t.Helper()
	require.NoError(t, err)
	require.Equal(t, status, r.StatusCode(), "unexpected status; body: %s", r.GetBody())
}

// typingNote is a server → client `typing` payload.
type typingNote struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Typing         bool   `json:"typing"`
}

// readNote is a server → client `read` payload.
type readNote struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Seq            int64  `json:"seq"`
}

// client is a Socket.IO connection of one user. What the server pushes is decoded into the channels;
// connects and disconnects (with their reason) are reported too, so reconnections can be observed.
type client struct {
	name string
	sock *sio.Socket

	events      chan sdk.Event
	typing      chan typingNote
	presence    chan sdk.Presence
	reads       chan readNote
	connects    chan struct{}
	disconnects chan string
	connectErrs chan error

	dropped  atomic.Int64 // payloads that did not fit in a channel
	badFrame atomic.Value // first payload that failed to decode (string)
}

// open creates the socket and registers every handler, without connecting.
func open(t testing.TB, baseURL, token, transport, name string) *client {
	t.Helper()
	sock, err := sioclient.New(baseURL, sioclient.Options{Transport: transport, Token: token, Reconnect: true})
	require.NoError(t, err)
	c := &client{name: name, sock: sock,
		events: make(chan sdk.Event, 1024), typing: make(chan typingNote, 256), presence: make(chan sdk.Presence, 256),
		reads: make(chan readNote, 256), connects: make(chan struct{}, 64), disconnects: make(chan string, 64),
		connectErrs: make(chan error, 64)}
	on(c, "event", c.events)
	on(c, "typing", c.typing)
	on(c, "presence", c.presence)
	on(c, "read", c.reads)
	_ = sock.On("connect", func(...any) { push(c, c.connects, struct{}{}) })
	_ = sock.On("disconnect", func(args ...any) {
		reason, _ := first(args).(string)
		push(c, c.disconnects, reason)
	})
	_ = sock.On("connect_error", func(args ...any) {
		err, _ := first(args).(error)
		if err == nil {
			err = fmt.Errorf("connect_error %v", args)
		}
		select { // attempts failing while a server is down pile up: beyond the buffer they are dropped, uncounted
		case c.connectErrs <- err:
		default:
		}
	})
	t.Cleanup(func() {
		sock.Disconnect()
		if n := c.dropped.Load(); n > 0 {
			t.Errorf("%s: %d pushed payloads did not fit in the test's buffers", name, n)
		}
		if bad := c.badFrame.Load(); bad != nil {
			t.Errorf("%s: undecodable payload: %v", name, bad)
		}
	})
	return c
}

// dial connects user u over transport and waits for the connection.
func (u *user) dial(t testing.TB, transport string) *client {
	t.Helper()
	c := open(t, u.s.p.BaseURL, u.Token, transport, u.Username+"/"+transport)
	c.connect(t)
	c.waitConnect(t)
	c.ready(t)
	return c
}

// ready waits until the server has set the socket up: it answers a socket's requests only once the socket is in
// the rooms of its user and conversations, so after this round trip nothing published can miss it.
//
// The request can be lost to a race in the server's Socket.IO library (servers/socket/v3@v3.0.6): the CONNECT
// answer goes out (namespace.go:342, socket._onconnect) before the socket is registered with its client
// (namespace.go:344 → client.go:125), and a packet arriving in between is an "invalid state" for which the
// library closes the transport (client.go:216-224). The client reconnects by itself; ready then asks again.
func (c *client) ready(t testing.TB) {
	t.Helper()
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		a, err := c.emitAck(ctx, "sync", map[string]any{"cursors": map[string]int64{}})
		cancel()
		if err == nil {
			require.Equal(t, true, a["ok"], "%s: sync ack: %v", c.name, a)
			require.Empty(t, a["events"], "%s: sync ack: %v", c.name, a)
			return
		}
		if errors.Is(err, errAckTimeout) {
			t.Fatalf("%s: first request after connecting: %v", c.name, err)
		}
		reasons := drain(c.disconnects)
		t.Logf("%s: first request after connecting lost (%v; disconnects: %q): the server closed the transport, "+
			"waiting for the client to reconnect", c.name, err, reasons)
		c.awaitConnect(t)
	}
	t.Fatalf("%s: the server keeps dropping the first request after connecting", c.name)
}

// awaitConnect waits for the client to connect again by itself; failed attempts (while a server is down) are
// expected, a refused handshake (connect_error from the server) is not.
func (c *client) awaitConnect(t testing.TB) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case <-c.connects:
			if c.sock.Connected() {
				return
			}
			// a connection that has closed again already: keep waiting
		case err := <-c.connectErrs:
			var ext *types.ExtendedError
			require.False(t, errors.As(err, &ext), "%s: handshake refused: %v %v", c.name, err, ext)
		case <-deadline:
			t.Fatalf("%s: did not reconnect within %s", c.name, waitFor)
		}
	}
}

// drain returns what ch holds now.
func drain[T any](ch <-chan T) []T {
	var out []T
	for {
		select {
		case v := <-ch:
			out = append(out, v)
		default:
			return out
		}
	}
}

// connect opens the socket (handshake included) without waiting for the server's answer (sioclient.Open).
func (c *client) connect(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := sioclient.Open(ctx, c.sock); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
}

// waitConnect waits for the next connect; a connect_error fails the test.
func (c *client) waitConnect(t testing.TB) {
	t.Helper()
	select {
	case <-c.connects:
		require.True(t, c.sock.Connected())
	case err := <-c.connectErrs:
		t.Fatalf("%s: connect_error: %v", c.name, err)
	case <-time.After(waitFor):
		t.Fatalf("%s: not connected after %s", c.name, waitFor)
	}
}

// waitDisconnect waits for the next disconnect and returns its reason.
func (c *client) waitDisconnect(t testing.TB) string {
	t.Helper()
	select {
	case reason := <-c.disconnects:
		return reason
	case <-time.After(waitFor):
		t.Fatalf("%s: no disconnect after %s", c.name, waitFor)
		return ""
	}
}

// close disconnects from the client side (no reconnection).
func (c *client) close() { c.sock.Disconnect() }

// on decodes each payload of a server event into ch.
func on[T any](c *client, event string, ch chan T) {
	sioclient.On(c.sock, event, func(v T) { push(c, ch, v) }, func(bad string) { c.badFrame.CompareAndSwap(nil, bad) })
}

// push never blocks the client's read loop: a full buffer is counted and reported at cleanup.
func push[T any](c *client, ch chan T, v T) {
	if !sioclient.Push(ch, v) {
		c.dropped.Add(1)
	}
}

func first(args []any) any { return sioclient.First(args) }

// errAckTimeout is returned by emitAck when ctx ends first.
var errAckTimeout = sioclient.ErrNoAck

// emitAck emits event with payload and waits for the server's ack (its first argument, an object).
func (c *client) emitAck(ctx context.Context, event string, payload any) (map[string]any, error) {
	return sioclient.EmitAck(ctx, c.sock, nil, event, payload)
}

// ack emits with a bounded wait and requires an ack.
func (c *client) ack(t testing.TB, event string, payload any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a, err := c.emitAck(ctx, event, payload)
	if err != nil {
		t.Fatalf("%s: %s: %v (connected: %v, disconnects seen: %q)", c.name, event, err, c.sock.Connected(),
			drain(c.disconnects))
	}
	return a
}

// send sends body with a fresh clientMsgId and requires an ok ack carrying the sequenced message.
func (c *client) send(t testing.TB, s *server, convID, body string) sdk.Message {
	t.Helper()
	id := fmt.Sprintf("cm-%d", s.next())
	a := c.ack(t, "message:send", map[string]any{"conversationId": convID, "clientMsgId": id, "body": body})
	m := okMessage(t, a)
	require.Equal(t, id, m.ClientMsgId)
	require.Equal(t, body, m.Body)
	return m
}

// okMessage requires {ok: true, message} with a sequenced message and returns the message.
func okMessage(t testing.TB, a map[string]any) sdk.Message {
	t.Helper()
	require.Equal(t, true, a["ok"], "ack: %v", a)
	require.NotContains(t, a, "accepted", "the standalone sequencer answers within the ack timeout: %v", a)
	var m sdk.Message
	decodeInto(t, a["message"], &m)
	require.NotEmpty(t, m.Id, "ack: %v", a)
	require.Positive(t, m.Seq, "ack: %v", a)
	return m
}

// errorCode requires {ok: false, error: {code, message}} and returns the code.
func errorCode(t testing.TB, a map[string]any) string {
	t.Helper()
	require.Equal(t, false, a["ok"], "ack: %v", a)
	e, ok := a["error"].(map[string]any)
	require.True(t, ok, "ack has an error object: %v", a)
	require.NotEmpty(t, e["message"], "ack: %v", a)
	code, _ := e["code"].(string)
	return code
}

// sync asks for the events after cursors and returns them with the truncated conversations.
func (c *client) sync(t testing.TB, cursors map[string]int64, limit int) ([]sdk.Event, []string) {
	t.Helper()
	p := map[string]any{"cursors": cursors}
	if limit > 0 {
		p["limit"] = limit
	}
	a := c.ack(t, "sync", p)
	require.Equal(t, true, a["ok"], "sync ack: %v", a)
	var out struct {
		Events    []sdk.Event `json:"events"`
		Truncated []string    `json:"truncated"`
	}
	decodeInto(t, a, &out)
	require.NotNil(t, out.Events, "events is a list: %v", a)
	require.NotNil(t, out.Truncated, "truncated is a list: %v", a)
	return out.Events, out.Truncated
}

func decodeInto(t testing.TB, v any, into any) {
	t.Helper()
	require.NoError(t, sioclient.DecodeInto(v, into), "decoding %v", v)
}

// recv waits for the next value of ch.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("no %s within %s", what, waitFor)
		var zero T
		return zero
	}
}

// recvMatch waits for a value of ch matching ok, skipping others (returned too, in order).
func recvMatch[T any](t testing.TB, ch <-chan T, what string, ok func(T) bool) (T, []T) {
	t.Helper()
	deadline := time.After(waitFor)
	var skipped []T
	for {
		select {
		case v := <-ch:
			if ok(v) {
				return v, skipped
			}
			skipped = append(skipped, v)
		case <-deadline:
			t.Fatalf("no %s within %s (skipped %+v)", what, waitFor, skipped)
		}
	}
}

// nextEvent waits for the next event of conversation convID (others are a test failure).
func (c *client) nextEvent(t testing.TB, convID string) sdk.Event {
	t.Helper()
	e := recv(t, c.events, c.name+" event")
	require.Equal(t, convID, e.ConversationId, "%s got an event of another conversation: %+v", c.name, e)
	return e
}

// requireNone requires ch to stay empty for d.
func requireNone[T any](t testing.TB, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	case <-time.After(d):
	}
}

// requireEmpty requires ch to hold nothing right now (after an ordering barrier).
func requireEmpty[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	default:
	}
}

// requireDense requires events to be seqs from, from+1, … of conversation convID.
func requireDense(t testing.TB, convID string, from int64, events []sdk.Event) {
	t.Helper()
	for i, e := range events {
		require.Equal(t, convID, e.ConversationId)
		require.Equal(t, from+int64(i), e.Seq, "event %d of %s", i, typesOf(events))
		require.NotEmpty(t, e.ActorId)
		require.False(t, e.At.IsZero())
	}
}

func typesOf(events []sdk.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%d:%s ", e.Seq, e.Type)
	}
	return b.String()
}
