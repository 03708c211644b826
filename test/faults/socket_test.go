package faults_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	sio "github.com/zishang520/socket.io/clients/socket/v3"

	"github.com/scalechat/scalechat/openapi/sdk"
	sioclient "github.com/scalechat/scalechat/openapi/sdk/realtime"
)

// sock is one Socket.IO connection (Go client, websocket) of one user to one gateway. It never reconnects by
// itself: the clients below (listener, socket sender) dial a new one when it is gone — to another gateway if
// theirs is down, as a load balancer would send them — which is how they survive a gateway that died.
type sock struct {
	name   string
	s      *sio.Socket
	events chan sdk.Event // nil: events are not recorded

	gone     chan struct{} // closed at the first disconnect
	goneOnce sync.Once
	reason   atomic.Value // string: why it is gone

	dropped  atomic.Int64 // events that did not fit in the buffer
	badFrame atomic.Value // string: first undecodable event
}

// errGone is returned by emitAck when the connection closed before the ack came.
var errGone = errors.New("connection gone")

// dial connects token's user to baseURL and returns once the server answered a first request (an empty sync):
// the server sets a socket up (rooms, topics, presence) before it handles its requests, so from then on every
// event of the user's conversations reaches it.
//
// It opens the socket with sioclient.Open (the Go client's races). The server may drop a connection whose first
// packet arrives while it registers the socket (test/realtime's ready): dial then fails, and the caller dials
// again.
func dial(ctx context.Context, baseURL, token, name string, withEvents bool) (*sock, error) {
	s, err := sioclient.New(baseURL, sioclient.Options{Token: token})
	if err != nil {
		return nil, err
	}
	c := &sock{name: name, s: s, gone: make(chan struct{})}
	connected := make(chan struct{}, 1)
	connectErr := make(chan error, 1)
	_ = s.On("connect", func(...any) { sioclient.Push(connected, struct{}{}) })
	_ = s.On("disconnect", func(args ...any) {
		reason, _ := sioclient.First(args).(string)
		c.markGone("disconnect: " + reason)
	})
	_ = s.On("connect_error", func(args ...any) {
		err, _ := sioclient.First(args).(error)
		if err == nil {
			err = fmt.Errorf("connect_error %v", args)
		}
		sioclient.Push(connectErr, err)
		c.markGone("connect_error: " + err.Error())
	})
	if withEvents {
		c.events = make(chan sdk.Event, 20000)
		sioclient.On(s, "event", func(e sdk.Event) {
			if !sioclient.Push(c.events, e) {
				c.dropped.Add(1)
			}
		}, func(bad string) { c.badFrame.CompareAndSwap(nil, bad) })
	}

	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	fail := func(err error) (*sock, error) {
		c.close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := sioclient.Open(ctx, s); err != nil {
		return fail(err)
	}
	select {
	case <-connected:
	case err := <-connectErr:
		return fail(err)
	case <-c.gone:
		return fail(errors.New(c.why()))
	case <-ctx.Done():
		return fail(fmt.Errorf("not connected: %w", ctx.Err()))
	}
	a, err := c.emitAck(ctx, "sync", map[string]any{"cursors": map[string]int64{}})
	if err != nil {
		return fail(fmt.Errorf("first request: %w", err))
	}
	if a["ok"] != true {
		return fail(fmt.Errorf("first request refused: %v", a))
	}
	return c, nil
}

func (c *sock) markGone(reason string) {
	c.goneOnce.Do(func() {
		c.reason.Store(reason)
		close(c.gone)
	})
}

// why says why the connection is gone.
func (c *sock) why() string {
	r, _ := c.reason.Load().(string)
	return r
}

// isGone reports whether the connection closed.
func (c *sock) isGone() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

// close disconnects from the client side.
func (c *sock) close() {
	c.s.Disconnect()
	c.markGone("closed by the client")
}

// emitAck emits event with payload and waits for the server's ack object, until ctx ends, ackTimeout passed or
// the connection is gone. Safe in any goroutine.
func (c *sock) emitAck(ctx context.Context, event string, payload any) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	a, err := sioclient.EmitAck(ctx, c.s, c.gone, event, payload)
	if errors.Is(err, sioclient.ErrGone) {
		return nil, fmt.Errorf("%w (%s) before the %s ack", errGone, c.why(), event)
	}
	return a, err
}

// ackError returns the code of a refused request's ack ({ok: false, error: {code}}), "" when it is ok.
func ackError(a map[string]any) string { return sioclient.AckError(a) }

// decodeInto converts a decoded JSON value into a typed one.
func decodeInto(v any, into any) error { return sioclient.DecodeInto(v, into) }
