package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// How a socket is made, opened, asked and listened to: the building blocks of Client, and of the end-to-end
// tests (test/realtime, test/cluster, test/faults), which keep only their own bookkeeping on top.

// Options are how a socket is made. Transport "websocket" (the default) or "polling"; no upgrade from one
// to the other, no manager shared between sockets.
type Options struct {
	Transport string
	Token     string        // the session token of auth {token}; empty: none
	Reconnect bool          // the manager reconnects by itself (quickly); otherwise a lost socket stays lost
	Timeout   time.Duration // a missed engine.io open is retried after this (default 10 s, see New)
}

// New makes a socket of baseURL that does not connect until Open.
//
// The open timeout is long on purpose. The Go client (clients/socket/v3@v3.0.6, Manager.Open) does not clear its
// open timer when the open succeeds: an OPEN that arrives close to the deadline (a loaded machine) lets both fire,
// and the timer then closes the engine the socket has just connected on, without telling the socket. The socket
// stays "connected" on a dead engine and every request it sends is lost — seen as an ack that never comes on a
// connected socket, while the server counts a client close. With a long timeout only a truly missed OPEN (see
// Open) waits it out.
func New(baseURL string, o Options) (*sio.Socket, error) {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	opts := sio.DefaultOptions()
	switch o.Transport {
	case "", "websocket":
		opts.SetTransports(types.NewSet(sio.WebSocket))
	case "polling":
		opts.SetTransports(types.NewSet(PollingTransport(max(o.Timeout, 15*time.Second))))
	default:
		return nil, fmt.Errorf("unknown transport %q", o.Transport)
	}
	opts.SetAutoConnect(false)
	opts.SetForceNew(true)
	opts.SetMultiplex(false)
	if o.Reconnect {
		opts.SetReconnectionDelay(100)
		opts.SetReconnectionDelayMax(400)
	} else {
		opts.SetReconnection(false)
	}
	opts.SetTimeout(o.Timeout)
	if o.Token != "" {
		opts.SetAuth(map[string]any{"token": o.Token})
	}
	return sio.Connect(baseURL, opts)
}

// Open opens the socket (handshake included) without waiting for the server's answer. It works around two races
// of the Go client (clients/socket/v3@v3.0.6), neither of which the JavaScript client it ports can have:
//
//   - Socket.Connect (socket.go:245) subscribes to the manager's "open", starts the manager, then calls onopen
//     itself if the manager is open by then: when the engine opens in between, onopen runs twice and two CONNECT
//     packets go out — the server then holds two sockets for this client and every broadcast arrives twice.
//   - Manager.Open (manager.go:278) subscribes to the engine's "open" only after engine.NewSocket returned, but
//     the websocket transport dials inside NewSocket and its reader goroutine may deliver the server's OPEN
//     before that: the manager misses it and gives up with connect_error "timeout".
//
// So the manager's engine.io connection is opened first, retried after a missed open (a client-library race,
// not a server fault), and only once it is open does the socket connect: then onopen runs exactly once.
// Reconnections are the manager's own business and run into neither race.
func Open(ctx context.Context, s *sio.Socket) error {
	for {
		opened := make(chan error, 1)
		s.Io().Open(func(err error) {
			select {
			case opened <- err:
			default:
			}
		})
		select {
		case err := <-opened:
			if err == nil {
				s.Connect()
				return nil
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				return fmt.Errorf("engine.io connection not opened: %w (last: %v)", ctx.Err(), err)
			}
		case <-ctx.Done():
			return fmt.Errorf("engine.io connection not opened: %w", ctx.Err())
		}
	}
}

// ErrNoAck is what EmitAck returns when ctx ends before the ack came.
var ErrNoAck = errors.New("no ack")

// EmitAck emits event with payload and waits for the server's ack, whose first argument must be an object;
// gone (may be nil) ends the wait when the connection is known to be lost. Safe in any goroutine.
func EmitAck(ctx context.Context, s *sio.Socket, gone <-chan struct{}, event string, payload any) (map[string]any, error) {
	type result struct {
		args []any
		err  error
	}
	done := make(chan result, 1)
	if err := s.Emit(event, payload, func(args []any, err error) {
		select {
		case done <- result{args, err}:
		default:
		}
	}); err != nil {
		return nil, err
	}
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", event, r.err)
		}
		m, ok := First(r.args).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s ack is not an object: %#v", event, r.args)
		}
		return m, nil
	case <-gone:
		return nil, ErrGone
	case <-ctx.Done():
		return nil, fmt.Errorf("%w for %s: %w", ErrNoAck, event, ctx.Err())
	}
}

// ErrGone is what EmitAck returns when the connection closed before the ack came.
var ErrGone = errors.New("connection gone")

// On decodes the first argument of every event named event into a T and hands it to fn; what does not decode
// goes to bad.
func On[T any](s *sio.Socket, event string, fn func(T), bad func(string)) {
	_ = s.On(types.EventName(event), func(args ...any) {
		var v T
		if err := DecodeInto(First(args), &v); err != nil {
			bad(fmt.Sprintf("%s %v: %v", event, args, err))
			return
		}
		fn(v)
	})
}

// First returns args[0], or nil.
func First(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// DecodeInto converts a decoded JSON value into a typed one.
func DecodeInto(v any, into any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

// AckError returns the code of a refused request's ack ({ok: false, error: {code}}), "" when it is ok.
func AckError(a map[string]any) string {
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

// Push hands v to ch without ever blocking the client's read loop; false when ch is full.
func Push[T any](ch chan T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
		return false
	}
}
