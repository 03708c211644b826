package socketio_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/socketio"
)

// maskedFrame is a final client frame, masked as RFC 6455 requires.
func maskedFrame(op byte, payload string) []byte {
	key := [4]byte{1, 2, 3, 4}
	out := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	default:
		out = append(out, 0x80|126, 0, 0)
		binary.BigEndian.PutUint16(out[2:], uint16(n))
	}
	out = append(out, key[:]...)
	for i := range len(payload) {
		out = append(out, payload[i]^key[i&3])
	}
	return out
}

// A client whose frames arrive a byte at a time, with pauses between (a slow mobile link), is understood: the
// socket is read each time bytes arrive, and what a read leaves incomplete waits for the next.
func TestFramesArrivingPieceByPieceAreRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{})
	alice, _ := e.user("alice")
	bob, bobToken := e.user("bob")
	conv := e.group(alice, bob)

	c := e.open(0)
	auth, _ := json.Marshal(map[string]string{"token": bobToken})
	raw := c.ws.UnderlyingConn()
	slowly := func(frame []byte) {
		for i := range frame {
			_, err := raw.Write(frame[i : i+1])
			require.NoError(t, err)
			if i%5 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
	slowly(maskedFrame(0x1, "40"+string(auth)))
	require.True(t, strings.HasPrefix(c.next(), "40{"))

	// A request of 300 bytes (a 16-bit length), in pieces, is answered.
	body := strings.Repeat("é", 140)
	req := fmt.Sprintf(`421["message:send",{"conversationId":%q,"clientMsgId":"slow-1","body":%q}]`, conv, body)
	slowly(maskedFrame(0x1, req))
	for {
		p := c.next()
		if strings.HasPrefix(p, "431") {
			assert.Contains(t, p, `"ok":true`)
			assert.Contains(t, p, body)
			break
		}
	}
}

// A websocket ping is answered with a pong; a close frame is echoed before the connection closes.
func TestWebsocketControlFrames(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{})
	_, token := e.user("carol")
	c := e.dial(token, 0)

	pong := make(chan string, 1)
	c.ws.SetPongHandler(func(data string) error { pong <- data; return nil })
	require.NoError(t, c.ws.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)))
	go func() { // control frames are handled while reading
		for {
			if _, _, err := c.ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case got := <-pong:
		assert.Equal(t, "are you there", got)
	case <-time.After(5 * time.Second):
		t.Fatal("no pong for a ping")
	}

	d := e.dial(token, 0)
	require.NoError(t, d.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second)))
	_ = d.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := d.ws.ReadMessage()
		if err == nil {
			continue // a ping, say, written before the close
		}
		var ce *websocket.CloseError
		require.True(t, errors.As(err, &ce), "the close is echoed: %v", err)
		assert.Equal(t, websocket.CloseGoingAway, ce.Code)
		break
	}
	require.Eventually(t, func() bool {
		return e.counter("scalechat_socket_closed_total",
			map[string]string{"reason": "client"}) >= 1
	}, 5*time.Second, 10*time.Millisecond)
}

// A message over MaxPayloadBytes closes the connection with 1009 as soon as its header says so; so does a
// frame that breaks the protocol (unmasked), with 1002, and a text message that is not UTF-8, with 1007. Each
// is counted by its reason.
func TestOversizedOrMalformedFramesCloseTheSocket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, socketio.Config{MaxPayloadBytes: 1024})
	_, token := e.user("dave")

	c := e.dial(token, 0)
	hdr := maskedFrame(0x1, strings.Repeat("x", 2000))[:8] // the header alone: the payload never comes
	_, err := c.ws.UnderlyingConn().Write(hdr)
	require.NoError(t, err)
	assertClosedWith(t, c, websocket.CloseMessageTooBig)
	closedFor := func(reason string) func() bool { // counted once the close frame is out
		return func() bool {
			return e.counter("scalechat_socket_closed_total", map[string]string{"reason": reason}) == 1
		}
	}
	assert.Eventually(t, closedFor("message_too_big"), 5*time.Second, 5*time.Millisecond)

	d := e.dial(token, 0)
	_, err = d.ws.UnderlyingConn().Write([]byte{0x81, 0x02, 'h', 'i'}) // not masked
	require.NoError(t, err)
	assertClosedWith(t, d, websocket.CloseProtocolError)
	assert.Eventually(t, closedFor("protocol_error"), 5*time.Second, 5*time.Millisecond)

	f := e.dial(token, 0)
	_, err = f.ws.UnderlyingConn().Write(maskedFrame(0x1, "42[\"typing\",\"caf\xe9\"]")) // Latin-1, not UTF-8
	require.NoError(t, err)
	assertClosedWith(t, f, websocket.CloseInvalidFramePayloadData)
	assert.Eventually(t, closedFor("invalid_utf8"), 5*time.Second, 5*time.Millisecond)

	// Half a surrogate pair, escaped: valid UTF-8, but JSON decoding would store U+FFFD for it.
	g := e.dial(token, 0)
	_, err = g.ws.UnderlyingConn().Write(maskedFrame(0x1, `42["typing",{"conversationId":"x\ud800"}]`))
	require.NoError(t, err)
	assertClosedWith(t, g, websocket.CloseInvalidFramePayloadData)
	assert.Eventually(t, func() bool {
		return e.counter("scalechat_socket_closed_total", map[string]string{"reason": "invalid_utf8"}) == 2
	}, 5*time.Second, 5*time.Millisecond)
}

func assertClosedWith(t *testing.T, c *client, code int) {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		require.True(t, errors.As(err, &ce), "closed with a close frame: %v", err)
		assert.Equal(t, code, ce.Code)
		return
	}
}

// An idle websocket costs no goroutine of scalechat's: it waits in a poller, and only the library's heartbeat
// timer runs for it. With a reader per socket (Pollers < 0) it costs one more.
func TestIdleSocketsHaveNoReaderGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is epoll's")
	}
	const n = 100
	perSocket := func(cfg socketio.Config) float64 {
		e := newEnv(t, cfg)
		_, token := e.user("erin")
		settle := func() int {
			time.Sleep(200 * time.Millisecond)
			return runtime.NumGoroutine()
		}
		before := settle()
		for range n / 10 {
			for range 10 {
				e.dial(token, 0)
			}
		}
		// Connecting is done when every CONNECT is answered (dial waits for it); the set-up goroutines end.
		require.Eventually(t, func() bool { return e.gauge("scalechat_sockets") == n }, 5*time.Second, 10*time.Millisecond)
		return float64(settle()-before) / n
	}
	// MaxSocketsPerUser: all n sockets are one user's.
	polled := perSocket(socketio.Config{MaxSocketsPerUser: n})
	blocking := perSocket(socketio.Config{MaxSocketsPerUser: n, Pollers: -1})
	t.Logf("goroutines per idle socket: polled %.2f, a reader each %.2f", polled, blocking)
	assert.LessOrEqual(t, polled, 1.1, "the library's heartbeat timer only")
	assert.InDelta(t, 1.0, blocking-polled, 0.1, "a reader goroutine each without the poller")
}
