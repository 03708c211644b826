package socketio_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/core"
)

// A broadcast reaches every member's socket as the Socket.IO event the contract describes, byte for byte the
// JSON of its schema, in seq order.
func TestBroadcastIsTheEventOfTheContract(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{})
	alice, _ := e.user("alice")
	bob, bobToken := e.user("bob")
	conv := e.group(alice, bob)
	c := e.dial(bobToken, 0)

	var sent []core.Message
	for i := range 20 {
		sent = append(sent, e.send(alice, conv, fmt.Sprintf("message %d with \"quotes\" and <html> & ünïcode", i)))
	}
	for _, m := range sent {
		got := c.next()
		for !strings.HasPrefix(got, `42["event",`) {
			got = c.next()
		}
		want, err := json.Marshal([]any{"event", schema.EventOf(core.Event{ConversationID: conv, Seq: m.Seq,
			Type: core.EventMessageCreated, At: m.CreatedAt, ActorID: alice.ID, Message: &m})})
		require.NoError(t, err)
		assert.JSONEq(t, string(want), got[2:])
	}
	// The 20 events, and bob's own presence to his user room.
	assert.Equal(t, 21.0, e.counter("scalechat_socket_deliveries_total", nil))
}

// A websocket client that has its CONNECT is set up: a request written the moment CONNECT arrives is answered
// (the library would drop or refuse a packet that came before the socket is filed), and a message sent then
// is delivered live, with no sync.
func TestConnectedSocketIsLiveAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{})
	alice, _ := e.user("alice")
	const members = 30
	var users []core.User
	var tokens []string
	for range members {
		u, tok := e.user("member")
		users, tokens = append(users, u), append(tokens, tok)
	}
	conv := e.group(alice, users...)
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			c := e.dial(tok, 0)
			c.write(`421["sync",{"cursors":{}}]`)
			m := e.send(users[i], conv, fmt.Sprintf("from %d", i))
			acked, own := false, false
			for !acked || !own {
				p := c.next()
				switch {
				case strings.HasPrefix(p, "431["):
					acked = true
					assert.Contains(t, p, `"ok":true`)
				case strings.HasPrefix(p, `42["event",`) && strings.Contains(p, `"seq":`+fmt.Sprint(m.Seq)+`,`):
					own = true
				}
			}
		})
	}
	wg.Wait()
}

// Many sockets in one room, many concurrent senders: every socket gets every event exactly once, in seq order
// (delivery is sharded and written by several flushers).
func TestEverySocketGetsEveryEventInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{Flushers: 3, DeliveryShards: 4})
	owner, _ := e.user("owner")
	const members, senders, each = 40, 4, 50
	var users []core.User
	var tokens []string
	for range members {
		u, tok := e.user("member")
		users, tokens = append(users, u), append(tokens, tok)
	}
	conv := e.group(owner, users...)
	clients := make([]*client, members)
	for i, tok := range tokens {
		clients[i] = e.dial(tok, 0)
	}
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				e.send(users[s], conv, fmt.Sprintf("s%d-%d", s, i))
			}
		})
	}
	var got sync.WaitGroup
	for _, c := range clients {
		got.Go(func() {
			last := int64(0)
			for range senders * each {
				ev := c.event()
				seq := int64(ev["seq"].(float64))
				assert.Greater(t, seq, last, "seq order")
				last = seq
			}
		})
	}
	wg.Wait()
	got.Wait()
	assert.GreaterOrEqual(t, e.counter("scalechat_socket_deliveries_total", nil), float64(members*senders*each))
	assert.Zero(t, e.counter("scalechat_socket_dropped_total", nil))
}

// A socket that stops reading is closed once its queue passes the outbound bound, and holds nobody up: the
// other member keeps getting every event. Its unsolicited pongs do not count as answers.
func TestSocketThatStopsReadingIsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{MaxOutboundBytes: 512 << 10, MaxOutboundFrames: 2048})
	alice, _ := e.user("alice")
	bob, bobToken := e.user("bob")
	carol, carolToken := e.user("carol")
	conv := e.group(alice, bob, carol)
	stalled := e.dial(bobToken, 4096)
	reader := e.dial(carolToken, 0)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // pongs nobody asked for, as an attacker keeping a socket alive would send them
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				_ = stalled.ws.WriteMessage(1, []byte("3"))
			}
		}
	}()

	body := strings.Repeat("x", 3000)
	received := make(chan int, 1)
	var got atomic.Int64
	sent := 0
	go func() { // a cheap reader (no JSON decoding), so that only the stalled socket falls behind
		for {
			p := reader.next()
			if !strings.HasPrefix(p, `42["event",`) || !strings.Contains(p, `"message.created"`) {
				continue
			}
			n := got.Add(1)
			if strings.Contains(p, `"body":"last"`) {
				received <- int(n)
				return
			}
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for e.counter("scalechat_socket_closed_total", map[string]string{"reason": "outbound_overflow"}) == 0 {
		require.True(t, time.Now().Before(deadline), "the stalled socket was never closed (sent %d)", sent)
		// The sender stays within 64 events (192 KB) of the reader, well inside the bound, however the test's
		// goroutines are scheduled: only the socket that does not read falls behind.
		for int64(sent)-got.Load() >= 64 {
			require.True(t, time.Now().Before(deadline), "the reading member stopped at %d of %d", got.Load(), sent)
			time.Sleep(time.Millisecond)
		}
		e.send(alice, conv, body)
		sent++
	}
	e.send(alice, conv, "last")
	select {
	case n := <-received:
		assert.Equal(t, sent+1, n, "the reading member got every event")
	case <-time.After(30 * time.Second):
		t.Fatal("the reading member was held up")
	}
	assert.True(t, stalled.closedWithin(10*time.Second), "the stalled socket's connection is closed")
	assert.Positive(t, e.counter("scalechat_socket_unsolicited_pongs_total", nil))
	assert.Positive(t, e.counter("scalechat_socket_dropped_total", map[string]string{"stage": "outbound_overflow"}))
	require.Eventually(t, func() bool { return e.gauge("scalechat_sockets") == 1 }, 10*time.Second, 20*time.Millisecond)
}

// A socket whose pings stay stuck behind what it does not read is closed by the ping timeout, whatever pongs
// it sends on its own.
func TestUnansweredPingsCloseASocket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	_, token := e.user("bob")
	c := e.dial(token, 0)
	// It never reads from here on and never answers: the server must give up on it.
	assert.True(t, c.closedWithin(5*time.Second))
	require.Eventually(t, func() bool { return e.gauge("scalechat_sockets") == 0 }, 5*time.Second, 20*time.Millisecond)
}

// A long-polling client that stops polling is held to the same bound: once the engine's write buffer holds
// MaxOutboundFrames packets for it, the session is closed.
func TestPollingClientThatStopsPollingIsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{MaxOutboundFrames: 32})
	alice, _ := e.user("alice")
	bob, bobToken := e.user("bob")
	conv := e.group(alice, bob)

	base := e.srv.URL + "/socket.io/?EIO=4&transport=polling"
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	status, open := get(base)
	require.Equal(t, 200, status, open)
	var hs struct{ Sid string }
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(open, "0")), &hs))
	session := base + "&sid=" + hs.Sid
	auth, _ := json.Marshal(map[string]string{"token": bobToken})
	res, err := http.Post(session, "text/plain;charset=UTF-8", strings.NewReader("40"+string(auth)))
	require.NoError(t, err)
	res.Body.Close()
	status, connected := get(session)
	require.Equal(t, 200, status)
	require.Contains(t, connected, "40{")
	require.Eventually(t, func() bool { return e.gauge("scalechat_sockets") == 1 }, 5*time.Second, 10*time.Millisecond)

	// Bob never polls again: his backlog grows with every broadcast until the bound closes the session.
	for i := 0; e.counter("scalechat_socket_closed_total", map[string]string{"reason": "outbound_overflow"}) == 0; i++ {
		require.Less(t, i, 200, "the session was never closed")
		e.send(alice, conv, fmt.Sprintf("m%d", i))
	}
	require.Eventually(t, func() bool { return e.gauge("scalechat_sockets") == 0 }, 5*time.Second, 10*time.Millisecond)
	status, _ = get(session)
	assert.Equal(t, 400, status, "the session is gone")
}

// Clients that answer every ping keep their sockets, however busy the sockets are: no pong is taken for an
// unsolicited one, and nobody hits the ping timeout.
func TestAnsweredPingsKeepBusySockets(t *testing.T) {
	t.Parallel()
	// The timeout is short enough that a pong mistaken for none closes a socket within the test, and long
	// enough that a loaded CI machine (the race detector, other packages' tests) answers every ping in it.
	e := newEnv(t, socketio.Config{PingInterval: 30 * time.Millisecond, PingTimeout: time.Second})
	owner, _ := e.user("owner")
	const members = 30
	var users []core.User
	var clients []*client
	for range members {
		u, tok := e.user("member")
		users = append(users, u)
		clients = append(clients, e.dial(tok, 0))
	}
	conv := e.group(owner, users...)
	var readers sync.WaitGroup
	got := make([]atomic.Int64, members)
	for i, c := range clients {
		readers.Go(func() {
			_ = c.ws.SetReadDeadline(time.Time{})
			for {
				_, data, err := c.ws.ReadMessage()
				if err != nil {
					return // closed at the end of the test
				}
				switch {
				case string(data) == "2":
					_ = c.ws.WriteMessage(1, []byte("3"))
				case bytes.HasPrefix(data, []byte(`42["event",`)):
					got[i].Add(1)
				}
			}
		})
	}
	var base [members]int64
	slowest := func() int64 {
		low := got[0].Load() - base[0]
		for i := range got {
			low = min(low, got[i].Load()-base[i])
		}
		return low
	}
	// A member's socket joins the group's room once the membership change reaches it, after the group is
	// created: until every member has had an event, messages are sent one at a time (the first ones may
	// reach a member before it joined, and are then its to sync, not to receive live).
	for warm := 0; slowest() == 0; warm++ {
		require.Less(t, warm, 500, "a member never joined the group's room")
		e.send(owner, conv, "warm")
		time.Sleep(10 * time.Millisecond)
	}
	for i := range got {
		base[i] = got[i].Load()
	}
	// The sender stays within 32 events of the slowest member: every socket keeps up, so its pings wait
	// behind a short backlog only, however the test's goroutines are scheduled.
	var sent int64
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for sent-slowest() >= 32 {
			require.True(t, time.Now().Before(deadline.Add(10*time.Second)), "a member stopped at %d of %d", slowest(), sent)
			time.Sleep(time.Millisecond)
		}
		e.send(owner, conv, "busy")
		sent++
	}
	assert.Zero(t, e.counter("scalechat_socket_disconnects_total", nil), "no socket was lost")
	assert.Zero(t, e.counter("scalechat_socket_unsolicited_pongs_total", nil), "every pong answered a ping")
	for _, c := range clients {
		_ = c.ws.Close()
	}
	readers.Wait()
}
