package faults_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/scalechat/scalechat/openapi/sdk"
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
// It works around two races of the Go client (clients/socket/v3@v3.0.6, see test/realtime's connect): the
// manager's engine.io connection is opened first, retried after a missed open, and only once it is open does
// the socket connect. The server may drop a connection whose first packet arrives while it registers the
// socket (test/realtime's ready): dial then fails, and the caller dials again.
func dial(ctx context.Context, baseURL, token, name string, withEvents bool) (*sock, error) {
	opts := sio.DefaultOptions()
	opts.SetTransports(types.NewSet(sio.WebSocket))
	opts.SetAutoConnect(false)
	opts.SetForceNew(true)
	opts.SetMultiplex(false)
	opts.SetReconnection(false)
	opts.SetTimeout(3 * time.Second) // a missed engine.io open is retried after this
	opts.SetAuth(map[string]any{"token": token})
	s, err := sio.Connect(baseURL, opts)
	if err != nil {
		return nil, err
	}
	c := &sock{name: name, s: s, gone: make(chan struct{})}
	connected := make(chan struct{}, 1)
	connectErr := make(chan error, 1)
	_ = s.On("connect", func(...any) {
		select {
		case connected <- struct{}{}:
		default:
		}
	})
	_ = s.On("disconnect", func(args ...any) {
		reason, _ := first(args).(string)
		c.markGone("disconnect: " + reason)
	})
	_ = s.On("connect_error", func(args ...any) {
		err, _ := first(args).(error)
		if err == nil {
			err = fmt.Errorf("connect_error %v", args)
		}
		select {
		case connectErr <- err:
		default:
		}
		c.markGone("connect_error: " + err.Error())
	})
	if withEvents {
		c.events = make(chan sdk.Event, 20000)
		_ = s.On("event", func(args ...any) {
			raw, err := json.Marshal(first(args))
			var e sdk.Event
			if err == nil {
				err = json.Unmarshal(raw, &e)
			}
			if err != nil {
				c.badFrame.CompareAndSwap(nil, fmt.Sprintf("%v: %v", args, err))
				return
			}
			select {
			case c.events <- e:
			default:
				c.dropped.Add(1)
			}
		})
	}

	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	fail := func(err error) (*sock, error) {
		c.close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for attempt := 1; ; attempt++ {
		opened := make(chan error, 1)
		s.Io().Open(func(err error) {
			select {
			case opened <- err:
			default:
			}
		})
		var err error
		select {
		case err = <-opened:
		case <-ctx.Done():
			return fail(fmt.Errorf("engine.io connection not opened: %w", ctx.Err()))
		}
		if err == nil {
			break
		}
		if attempt == 3 {
			return fail(fmt.Errorf("engine.io connection not opened: %w", err))
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	s.Connect()
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
	type result struct {
		args []any
		err  error
	}
	done := make(chan result, 1)
	if err := c.s.Emit(event, payload, func(args []any, err error) {
		select {
		case done <- result{args, err}:
		default:
		}
	}); err != nil {
		return nil, err
	}
	timer := time.NewTimer(ackTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		m, ok := first(r.args).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s ack is not an object: %#v", event, r.args)
		}
		return m, nil
	case <-c.gone:
		return nil, fmt.Errorf("%w (%s) before the %s ack", errGone, c.why(), event)
	case <-timer.C:
		return nil, fmt.Errorf("no %s ack within %s", event, ackTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func first(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// ackError returns the code of a refused request's ack ({ok: false, error: {code}}), "" when it is ok.
func ackError(a map[string]any) string {
	if a["ok"] == true {
		return ""
	}
	e, _ := a["error"].(map[string]any)
	code, _ := e["code"].(string)
	if code == "" {
		return fmt.Sprintf("malformed ack %v", a)
	}
	return code
}

// decodeInto converts a decoded JSON value into a typed one.
func decodeInto(v any, into any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}
