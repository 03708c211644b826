// Package cluster_test runs a scalechat cluster — the dev Kafka-protocol broker, PostgreSQL, Redis, two
// gateways and two workers, each a separate process of the real binary (see clusterharness) — and checks that
// it behaves as one chat server whichever gateway a client talks to: real-time chat with the official
// JavaScript socket.io-client and the Go client, identical history, idempotent retries, presence, typing and
// membership across gateways, readiness of every role.
package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	sio "github.com/zishang520/socket.io/clients/socket/v3"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	sioclient "github.com/scalechat/scalechat/openapi/sdk/realtime"
	"github.com/scalechat/scalechat/test/harness"
)

// waitFor bounds every wait of these tests (race-built processes on a busy machine answer slowly at times).
const waitFor = 15 * time.Second

// quiet is how long a channel must stay empty for "nothing arrives" checks without an ordering barrier.
const quiet = 500 * time.Millisecond

// names makes user names and clientMsgIds unique within the test process.
var names atomic.Int64

func next() int64 { return names.Add(1) }

// gateway is one gateway process with an HTTP client of its own.
type gateway struct {
	name string
	p    *harness.Process
	http *http.Client
}

func newGateway(t testing.TB, name string, p *harness.Process) *gateway {
	g := &gateway{name: name, p: p, http: &http.Client{Transport: &http.Transport{}, Timeout: waitFor}}
	t.Cleanup(g.http.CloseIdleConnections)
	return g
}

// api returns an SDK client of the gateway sending token as a bearer token (none when empty).
func (g *gateway) api(t testing.TB, token string) *sdk.ClientWithResponses {
	t.Helper()
	opts := []sdk.ClientOption{sdk.WithHTTPClient(g.http)}
	if token != "" {
		opts = append(opts, sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := sdk.NewClientWithResponses(g.p.BaseURL, opts...)
	require.NoError(t, err)
	return c
}

// user is a registered, logged-in account. Its token is valid on every gateway (sessions live in PostgreSQL).
type user struct {
	ID       string
	Username string
	Token    string
}

// signUp registers a user named prefix plus a unique suffix on gateway g and logs in there.
func signUp(t testing.TB, g *gateway, prefix string) *user {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a := harness.SignUp(t, ctx, g.api(t, ""), fmt.Sprintf("%s%d", prefix, next()))
	return &user{ID: a.ID, Username: a.Username, Token: a.Token}
}

// on returns u's SDK client of gateway g.
func (u *user) on(t testing.TB, g *gateway) *sdk.ClientWithResponses { return g.api(t, u.Token) }

// createGroup creates, through gateway g, a group conversation of u with members.
func (u *user) createGroup(t testing.TB, g *gateway, members ...*user) sdk.Conversation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	title := fmt.Sprintf("group %d", next())
	r, err := u.on(t, g).CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
		Kind: sdk.CreateConversationRequestKindGroup, Title: &title, MemberIds: ptr(ids(members))})
	wantStatus(t, r, err, http.StatusCreated)
	return *r.JSON201
}

// sendREST sends body with clientMsgID through gateway g and requires status (201 new, 200 retry).
func (u *user) sendREST(t testing.TB, g *gateway, convID, clientMsgID, body string, status int) sdk.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	r, err := u.on(t, g).SendMessageWithResponse(ctx, convID, sdk.SendMessageRequest{ClientMsgId: &clientMsgID, Body: body})
	wantStatus(t, r, err, status)
	m := r.JSON201
	if status == http.StatusOK {
		m = r.JSON200
	}
	require.NotNil(t, m, "body: %s", r.Body)
	return *m
}

// history returns the whole history of a conversation as gateway g serves it, paging backwards in pages of
// limit, in ascending seq order.
func (u *user) history(t testing.TB, g *gateway, convID string, limit int64) []sdk.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var all []sdk.Message
	params := &sdk.ListMessagesParams{Limit: &limit}
	for range 1000 {
		r, err := u.on(t, g).ListMessagesWithResponse(ctx, convID, params)
		wantStatus(t, r, err, http.StatusOK)
		all = append(append([]sdk.Message{}, r.JSON200.Items...), all...)
		if r.JSON200.Next == nil {
			return all
		}
		var before int64
		_, err = fmt.Sscan(*r.JSON200.Next, &before)
		require.NoError(t, err)
		params = &sdk.ListMessagesParams{Before: &before, Limit: &limit}
	}
	t.Fatal("history paging did not end")
	return nil
}

// events returns every event of a conversation as gateway g serves it.
func (u *user) events(t testing.TB, g *gateway, convID string) []sdk.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var all []sdk.Event
	params := &sdk.ListEventsParams{}
	for range 1000 {
		r, err := u.on(t, g).ListEventsWithResponse(ctx, convID, params)
		wantStatus(t, r, err, http.StatusOK)
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all
		}
		var after int64
		_, err = fmt.Sscan(*r.JSON200.Next, &after)
		require.NoError(t, err)
		params = &sdk.ListEventsParams{After: &after}
	}
	t.Fatal("event paging did not end")
	return nil
}

func ids(users []*user) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.ID)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

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

// client is a Socket.IO connection (Go client) of one user to one gateway; what the server pushes is decoded
// into the channels.
type client struct {
	name string
	sock *sio.Socket

	events      chan sdk.Event
	typing      chan typingNote
	presence    chan sdk.Presence
	connects    chan struct{}
	connectErrs chan error
	disconnects chan string // reasons

	dropped  atomic.Int64
	badFrame atomic.Value
}

// dial connects u to gateway g over transport ("websocket" or "polling"), syncs, and returns once the server
// has set the socket up. The socket is closed when t ends.
//
// The server acknowledges a connection before it has set the socket up (joined its rooms, recorded its
// presence), and handles the socket's requests only after that set-up: as a client does after connecting, dial
// sends a sync, and once it is answered the socket receives every event of its conversations.
//
// A connection the server drops while that first request is on its way is dialled again (at most twice, and
// logged): the Socket.IO server library (servers/socket/v3@v3.0.6, namespace.go _doConnect) writes the CONNECT
// acknowledgement before it registers the socket with its client, so a packet the client sends at once may find
// no socket ("invalid state") and the server closes the transport. Clients that reconnect (the default of the
// official clients) heal it the same way.
func (u *user) dial(t testing.TB, g *gateway, transport string) *client {
	t.Helper()
	for attempt := 1; ; attempt++ {
		c, err := u.dialOnce(t, g, transport)
		if err == nil {
			return c
		}
		if attempt == 3 {
			t.Fatalf("%s: %v (attempt %d)", c.name, err, attempt)
		}
		t.Logf("%s: dialling again: the server dropped the new connection: %v", c.name, err)
		c.close()
	}
}

// dialOnce connects and syncs; it returns an error only when the connection was dropped before the sync was
// answered, and fails t on anything else.
func (u *user) dialOnce(t testing.TB, g *gateway, transport string) (*client, error) {
	t.Helper()
	sock, err := sioclient.New(g.p.BaseURL, sioclient.Options{Transport: transport, Token: u.Token})
	require.NoError(t, err)
	name := u.Username + "@" + g.name + "/" + transport
	c := &client{name: name, sock: sock, events: make(chan sdk.Event, 1024), typing: make(chan typingNote, 256),
		presence: make(chan sdk.Presence, 256), connects: make(chan struct{}, 8), connectErrs: make(chan error, 8),
		disconnects: make(chan string, 8)}
	decodeTo(c, "event", c.events)
	decodeTo(c, "typing", c.typing)
	decodeTo(c, "presence", c.presence)
	_ = sock.On("connect", func(...any) { push(c, c.connects, struct{}{}) })
	_ = sock.On("disconnect", func(args ...any) {
		reason, _ := first(args).(string)
		if len(args) > 1 && args[1] != nil {
			reason = fmt.Sprintf("%s (%v)", reason, args[1])
		}
		push(c, c.disconnects, reason)
	})
	_ = sock.On("connect_error", func(args ...any) {
		err, _ := first(args).(error)
		if err == nil {
			err = fmt.Errorf("connect_error %v", args)
		}
		push(c, c.connectErrs, err)
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
	c.connect(t)
	select {
	case <-c.connects:
	case err := <-c.connectErrs:
		t.Fatalf("%s: connect_error: %v", name, err)
	case <-time.After(waitFor):
		t.Fatalf("%s: not connected after %s", name, waitFor)
	}
	a, err := c.emitAck("sync", map[string]any{"cursors": map[string]any{}})
	if err != nil {
		select {
		case reason := <-c.disconnects:
			return c, fmt.Errorf("sync: %w; disconnected: %s", err, reason)
		case <-time.After(time.Second):
		}
	}
	require.NoError(t, err)
	require.Equal(t, true, a["ok"], "%s: sync: %v", name, a)
	return c, nil
}

// connect opens the socket without waiting for the server's answer (sioclient.Open: the Go client's races).
func (c *client) connect(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := sioclient.Open(ctx, c.sock); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
}

// close disconnects from the client side.
func (c *client) close() { c.sock.Disconnect() }

func decodeTo[T any](c *client, event string, ch chan T) {
	sioclient.On(c.sock, event, func(v T) { push(c, ch, v) }, func(bad string) { c.badFrame.CompareAndSwap(nil, bad) })
}

// push never blocks the client's read loop: a full buffer is counted and reported at cleanup.
func push[T any](c *client, ch chan T, v T) {
	if !sioclient.Push(ch, v) {
		c.dropped.Add(1)
	}
}

func first(args []any) any { return sioclient.First(args) }

// emitAck emits event with payload and waits (bounded) for the server's ack object; safe in any goroutine.
func (c *client) emitAck(event string, payload any) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	a, err := sioclient.EmitAck(ctx, c.sock, nil, event, payload)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return a, nil
}

// ack is emitAck failing the test on error.
func (c *client) ack(t testing.TB, event string, payload any) map[string]any {
	t.Helper()
	a, err := c.emitAck(event, payload)
	require.NoError(t, err)
	return a
}

// send sends body with clientMsgID and requires an ok ack carrying the sequenced message.
func (c *client) send(t testing.TB, convID, clientMsgID, body string) sdk.Message {
	t.Helper()
	payload := map[string]any{"conversationId": convID, "clientMsgId": clientMsgID, "body": body}
	a, err := c.emitAck("message:send", payload)
	// Every request on a live connection gets exactly one answer, within the server's own bound (the ack
	// timeout, 5 s, then a storage lookup): one that gets none is a bug, never retried here.
	require.NoError(t, err, "%s: connected %v; disconnects seen: %q", c.name, c.sock.Connected(), drainStrings(c.disconnects))
	m := okMessage(t, a)
	require.Equal(t, clientMsgID, m.ClientMsgId)
	return m
}

// drainStrings returns what ch holds now.
func drainStrings(ch chan string) []string {
	var out []string
	for {
		select {
		case s := <-ch:
			out = append(out, s)
		default:
			return out
		}
	}
}

// okMessage requires {ok: true, message} with a sequenced message (not merely accepted) and returns it.
func okMessage(t testing.TB, a map[string]any) sdk.Message {
	t.Helper()
	require.Equal(t, true, a["ok"], "ack: %v", a)
	require.NotContains(t, a, "accepted", "a healthy cluster sequences within the ack timeout: %v", a)
	raw, err := json.Marshal(a["message"])
	require.NoError(t, err)
	var m sdk.Message
	require.NoError(t, json.Unmarshal(raw, &m), "ack: %v", a)
	require.NotEmpty(t, m.Id, "ack: %v", a)
	require.Positive(t, m.Seq, "ack: %v", a)
	return m
}

// nextEvent waits for the next event of c; one of another conversation fails the test.
func (c *client) nextEvent(t testing.TB, convID string) sdk.Event {
	t.Helper()
	e := recv(t, c.events, c.name+" event")
	require.Equal(t, convID, e.ConversationId, "%s got an event of another conversation: %+v", c.name, e)
	return e
}

// recv waits (bounded) for the next value of ch.
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

// recvMatch waits (bounded) for a value of ch matching ok, skipping others.
func recvMatch[T any](t testing.TB, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	deadline := time.After(waitFor)
	var skipped []T
	for {
		select {
		case v := <-ch:
			if ok(v) {
				return v
			}
			skipped = append(skipped, v)
		case <-deadline:
			t.Fatalf("no %s within %s (skipped %+v)", what, waitFor, skipped)
		}
	}
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

// requireEmpty requires ch to hold nothing now (after an ordering barrier).
func requireEmpty[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %+v", what, v)
	default:
	}
}
