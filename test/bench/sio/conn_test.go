package sio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeServer speaks just enough engine.io and Socket.IO for the client: open, CONNECT (token "bad" is
// refused), an engine.io ping that must be answered, then it acks every message:send and sync and echoes
// each send back as an event.
func fakeServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/socket.io/" || r.URL.Query().Get("EIO") != "4" || r.URL.Query().Get("transport") != "websocket" {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		send := func(s string) { _ = c.Write(ctx, websocket.MessageText, []byte(s)) }
		read := func() string {
			_, b, err := c.Read(ctx)
			if err != nil {
				return ""
			}
			return string(b)
		}
		send(`0{"sid":"eio1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
		if auth := read(); strings.Contains(auth, `"bad"`) {
			send(`44{"message":"invalid or expired token","data":{"code":"unauthenticated"}}`)
			return
		}
		send("2") // a ping before the CONNECT ack: the client must answer it there too
		if pong := read(); pong != "3" {
			t.Errorf("want pong, got %q", pong)
			return
		}
		send(`40{"sid":"sio1"}`)
		send(`42["presence",{"userId":"u","status":"online"}]`)
		for {
			msg := read()
			switch {
			case msg == "":
				return
			case msg == "3":
			case strings.HasPrefix(msg, "42"):
				i := strings.IndexByte(msg, '[')
				id := msg[2:i]
				if strings.Contains(msg, `"message:send"`) {
					body := msg[strings.Index(msg, `"body":"`)+8:]
					body = body[:strings.IndexByte(body, '"')]
					send(fmt.Sprintf(`42["event",{"conversationId":"c","seq":1,"data":{"message":{"body":%q}}}]`, body))
				}
				send("43" + id + `[{"ok":true}]`)
				if strings.Contains(msg, `"bye"`) {
					send("41")
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

type recorder struct {
	events chan string
	acks   chan string
	closed chan error
}

func newRecorder() *recorder {
	return &recorder{events: make(chan string, 16), acks: make(chan string, 16), closed: make(chan error, 1)}
}

func (r *recorder) Event(f []byte)          { r.events <- string(f) }
func (r *recorder) Ack(id uint64, a []byte) { r.acks <- fmt.Sprintf("%d %s", id, a) }
func (r *recorder) Closed(err error)        { r.closed <- err }
func recv[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out")
		var zero T
		return zero
	}
}

func TestConnSocketIO(t *testing.T) {
	srv := fakeServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec := newRecorder()
	c, err := Dial(ctx, Options{URL: srv.URL, Token: "good", Handler: rec})
	require.NoError(t, err)
	assert.Equal(t, "sio1", c.SID)
	assert.Contains(t, recv(t, rec.events), `42["presence"`)

	id := c.NextID()
	require.NoError(t, c.Send(id, "c", "m-1", AppendBody(nil, time.Now(), 3, 40)))
	ev := recv(t, rec.events)
	st, ok := ParseStamp([]byte(ev))
	require.True(t, ok, ev)
	assert.Equal(t, uint32(3), st.Tag)
	assert.Equal(t, fmt.Sprintf(`%d [{"ok":true}]`, id), recv(t, rec.acks))

	args, err := c.Call(ctx, "sync", []byte(`{"cursors":{}}`))
	require.NoError(t, err)
	assert.Equal(t, `[{"ok":true}]`, string(args), "a Call's ack goes to the Call, not the Handler")

	_, err = c.Call(ctx, "bye", []byte(`{}`))
	require.NoError(t, err)
	assert.Error(t, recv(t, rec.closed), "a server disconnect is an error")
	<-c.Done()
	assert.ErrorIs(t, c.WriteText([]byte("x")), ErrClosed)
}

func TestConnRefusedAndClosed(t *testing.T) {
	srv := fakeServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, Options{URL: srv.URL, Token: "bad", Handler: newRecorder()})
	var ce *ConnectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "unauthenticated", ce.Code)

	rec := newRecorder()
	c, err := Dial(ctx, Options{URL: srv.URL, Token: "good", Handler: rec})
	require.NoError(t, err)
	c.Close()
	assert.NoError(t, recv(t, rec.closed), "Close is not an error")

	_, err = Dial(ctx, Options{URL: "http://10.1.2.3:80", Handler: newRecorder()})
	assert.ErrorContains(t, err, "not loopback")

	short, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	time.Sleep(time.Millisecond)
	_, err = Dial(short, Options{URL: srv.URL, Token: "good", Handler: newRecorder()})
	assert.True(t, IsTimeout(err), "%v", err)
}

func TestConnRaw(t *testing.T) {
	pinged := make(chan error, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			// A WebSocket ping returns once the client's pong is read (by this loop's next Read).
			go func() {
				ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
				defer cancel()
				pinged <- c.Ping(ctx)
			}()
			_ = c.Write(r.Context(), typ, b)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec := newRecorder()
	c, err := Dial(ctx, Options{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/", Mode: Raw, Handler: rec})
	require.NoError(t, err)
	require.NoError(t, c.WriteText([]byte("bench:1:2:xx")))
	assert.Equal(t, "bench:1:2:xx", recv(t, rec.events))
	big := strings.Repeat("y", 20000) // over the read buffer
	require.NoError(t, c.WriteText([]byte(big)))
	assert.Equal(t, big, recv(t, rec.events))
	assert.NoError(t, recv(t, pinged), "the client answers pings")
	assert.NoError(t, recv(t, pinged))
	c.Close()
	assert.NoError(t, recv(t, rec.closed))
}
