// Package sio is the bench's load-generating client: engine.io v4 / Socket.IO v5 over WebSocket only, on its
// own minimal RFC 6455 client framing, built to count hundreds of thousands of deliveries a second on a small
// machine while leaving the CPU to the server under test. A connection has one reading goroutine; frames are
// read into a reused buffer and handed to a Handler as they are, without decoding (see ParseStamp and
// ScanEvent for the byte scanners the bench uses on them). The same connection, in Raw mode, speaks plain
// WebSocket to the baseline broadcast server, so both targets are counted by the same code.
package sio

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode selects the protocol spoken over the WebSocket.
type Mode int

const (
	// SocketIO speaks engine.io v4 and Socket.IO v5 (namespace "/") at /socket.io/.
	SocketIO Mode = iota
	// Raw speaks plain WebSocket text messages at the URL's path: the baseline server.
	Raw
)

// Handler receives what a connection reads. Its methods run on the connection's reading goroutine, one at a
// time; the slices they get are valid only during the call.
type Handler interface {
	// Event gets every Socket.IO EVENT packet (`42...`, the whole text) or, in Raw mode, every data message.
	Event(frame []byte)
	// Ack gets an ACK packet's id and JSON argument array, unless Call is waiting for that id.
	Ack(id uint64, args []byte)
	// Closed is called once, when the connection ends (err says why; nil after Close).
	Closed(err error)
}

// Options describe a connection.
type Options struct {
	URL     string     // server origin (http://127.0.0.1:8080) or, in Raw mode, ws://host:port/path
	Token   string     // Socket.IO auth token, sent in CONNECT
	Mode    Mode       // protocol
	LocalIP netip.Addr // source address to dial from (zero: the kernel's choice)
	Handler Handler    // required
	// ReadBuffer is the size of the read buffer (default 4096); frames that fit are never copied.
	ReadBuffer int
}

// Error is a failed Dial: the stage it failed at ("dial", "upgrade", "open", "connect") and why.
type Error struct {
	Stage string
	Err   error
}

func (e *Error) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ConnectError is the server's refusal of CONNECT (a CONNECT_ERROR packet, `44{...}`).
type ConnectError struct {
	Message string
	Code    string // data.code, as scalechat sends it
}

func (e *ConnectError) Error() string { return fmt.Sprintf("connect_error %s: %s", e.Code, e.Message) }

// IsTimeout reports whether err is a deadline that ran out (of the dial's context or of a socket).
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// ErrClosed is returned by writes and calls on a closed connection.
var ErrClosed = errors.New("sio: connection closed")

// Conn is one client connection.
type Conn struct {
	nc   net.Conn
	br   *bufio.Reader
	fr   *FrameReader
	h    Handler
	mode Mode
	// SID is the Socket.IO session id (empty in Raw mode).
	SID string

	wmu  sync.Mutex // guards wbuf, pbuf, rng and the socket's write side
	wbuf []byte
	pbuf []byte
	rng  uint64

	ids   atomic.Uint64
	cmu   sync.Mutex
	calls map[uint64]chan []byte

	closeOnce sync.Once
	closing   atomic.Bool
	done      chan struct{}
}

// writeTimeout bounds one write: a server that stops reading shows up as an error, not a stuck sender.
const writeTimeout = 5 * time.Second

// Dial connects, upgrades to WebSocket and, in SocketIO mode, completes the engine.io open and the Socket.IO
// CONNECT, all within ctx. The connection then reads on a goroutine of its own until it is closed.
func Dial(ctx context.Context, o Options) (*Conn, error) {
	if o.Handler == nil {
		return nil, errors.New("sio: a Handler is required")
	}
	hostport, u, err := CheckLoopback(o.URL)
	if err != nil {
		return nil, &Error{"dial", err}
	}
	d := net.Dialer{}
	if o.LocalIP.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: o.LocalIP.AsSlice()}
	}
	nc, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, &Error{"dial", err}
	}
	size := o.ReadBuffer
	if size <= 0 {
		size = 4096
	}
	c := &Conn{nc: nc, h: o.Handler, mode: o.Mode, done: make(chan struct{})}
	c.br = bufio.NewReaderSize(nc, size)
	c.fr = NewFrameReader(c.br)
	var seed [8]byte
	_, _ = crand.Read(seed[:])
	c.rng = binary.LittleEndian.Uint64(seed[:]) | 1
	// The handshake obeys ctx: its deadline, and its cancellation through an expired socket deadline.
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	err = c.handshake(u.Host, u.RequestURI(), o)
	if !stop() || err != nil {
		_ = nc.Close()
		if err == nil {
			err = &Error{"connect", ctx.Err()}
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	go c.readLoop()
	return c, nil
}

// handshake runs the WebSocket upgrade and, for Socket.IO, the open packet and CONNECT.
func (c *Conn) handshake(host, path string, o Options) error {
	if o.Mode == SocketIO {
		path = "/socket.io/?EIO=4&transport=websocket"
	}
	if err := upgrade(c.nc, c.br, host, path); err != nil {
		return &Error{"upgrade", err}
	}
	if o.Mode == Raw {
		return nil
	}
	op, p, err := c.fr.Message(c.control)
	if err != nil {
		return &Error{"open", err}
	}
	if op != OpText || len(p) == 0 || p[0] != '0' {
		return &Error{"open", fmt.Errorf("expected the engine.io open packet, got %.60q", p)}
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(p[1:], &open); err != nil || open.SID == "" {
		return &Error{"open", fmt.Errorf("bad open packet %.80q", p)}
	}
	auth, _ := json.Marshal(map[string]string{"token": o.Token})
	if err := c.WriteText(append([]byte("40"), auth...)); err != nil {
		return &Error{"connect", err}
	}
	for {
		op, p, err := c.fr.Message(c.control)
		if err != nil {
			return &Error{"connect", err}
		}
		if op != OpText || len(p) == 0 {
			continue
		}
		switch {
		case p[0] == '2': // engine.io ping
			if err := c.WriteText([]byte(pong)); err != nil {
				return &Error{"connect", err}
			}
		case strings.HasPrefix(string(p), "40"):
			var ok struct {
				SID string `json:"sid"`
			}
			_ = json.Unmarshal(p[2:], &ok)
			c.SID = ok.SID
			return nil
		case strings.HasPrefix(string(p), "44"):
			var ce struct {
				Message string `json:"message"`
				Data    struct {
					Code string `json:"code"`
				} `json:"data"`
			}
			_ = json.Unmarshal(p[2:], &ce)
			return &Error{"connect", &ConnectError{Message: ce.Message, Code: ce.Data.Code}}
		case p[0] == '1':
			return &Error{"connect", errors.New("server closed the engine.io session")}
		}
	}
}

// pong is engine.io's answer to its ping.
const pong = "3"

var errServerGone = errors.New("sio: the server closed the session")

// control answers the control frames met while reading: pings get their pong, a close its echo.
func (c *Conn) control(op byte, p []byte) error {
	switch op {
	case OpPing:
		return c.writeFrame(OpPong, p)
	case OpClose:
		_ = c.writeFrame(OpClose, p[:min(len(p), 2)])
	}
	return nil
}

// readLoop reads until the connection fails or is closed, dispatching packets.
func (c *Conn) readLoop() {
	var err error
	defer func() {
		_ = c.nc.Close()
		if c.closing.Load() {
			err = nil
		}
		c.cmu.Lock()
		for id, ch := range c.calls {
			close(ch)
			delete(c.calls, id)
		}
		c.cmu.Unlock()
		c.h.Closed(err) // before done: whoever waits on Done sees the handler told
		close(c.done)
	}()
	for {
		var op byte
		var p []byte
		if op, p, err = c.fr.Message(c.control); err != nil {
			return
		}
		if c.mode == Raw {
			c.h.Event(p)
			continue
		}
		if op != OpText || len(p) == 0 {
			continue
		}
		switch p[0] {
		case '2': // engine.io ping: the server closes sessions that miss pongs
			if err = c.WriteText([]byte(pong)); err != nil {
				return
			}
		case '4':
			if len(p) < 2 {
				continue
			}
			switch p[1] {
			case '2':
				c.h.Event(p)
			case '3':
				if id, args, ok := ParseAck(p); ok && !c.claim(id, args) {
					c.h.Ack(id, args)
				}
			case '1':
				err = errServerGone
				return
			}
		case '1':
			err = errServerGone
			return
		}
	}
}

// claim hands an ack to a waiting Call.
func (c *Conn) claim(id uint64, args []byte) bool {
	c.cmu.Lock()
	ch, ok := c.calls[id]
	delete(c.calls, id)
	c.cmu.Unlock()
	if ok {
		ch <- append([]byte(nil), args...)
	}
	return ok
}

// NextID returns a fresh ack id for this connection.
func (c *Conn) NextID() uint64 { return c.ids.Add(1) }

// WriteText sends one text message.
func (c *Conn) WriteText(p []byte) error { return c.writeFrame(OpText, p) }

// Send emits message:send with an ack id (its ack goes to Handler.Ack), building the packet in a buffer of the
// connection: no allocation per send.
func (c *Conn) Send(ackID uint64, conversationID, clientMsgID string, body []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.pbuf = AppendSend(c.pbuf[:0], ackID, conversationID, clientMsgID, body)
	return c.writeLocked(OpText, c.pbuf)
}

// Call emits event with payload (JSON) and waits for its ack, whose argument array it returns.
func (c *Conn) Call(ctx context.Context, event string, payload []byte) ([]byte, error) {
	id := c.NextID()
	ch := make(chan []byte, 1)
	c.cmu.Lock()
	if c.calls == nil {
		c.calls = map[uint64]chan []byte{}
	}
	c.calls[id] = ch
	c.cmu.Unlock()
	forget := func() {
		c.cmu.Lock()
		delete(c.calls, id)
		c.cmu.Unlock()
	}
	if err := c.WriteText(AppendEmit(nil, id, event, payload)); err != nil {
		forget()
		return nil, err
	}
	select {
	case args, ok := <-ch:
		if !ok {
			return nil, ErrClosed
		}
		return args, nil
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	}
}

func (c *Conn) writeFrame(op byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(op, p)
}

// writeLocked frames and masks p into the write buffer and writes it in one call.
func (c *Conn) writeLocked(op byte, p []byte) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	// xorshift64: masking keys need not be secret here, only varied.
	c.rng ^= c.rng << 13
	c.rng ^= c.rng >> 7
	c.rng ^= c.rng << 17
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(c.rng))
	c.wbuf = AppendFrame(c.wbuf[:0], op, p, key, true)
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(c.wbuf)
	return err
}

// Close closes the TCP connection at once (no close handshake: the bench drops connections the way a network
// failure does). The reading goroutine ends and Handler.Closed gets nil.
func (c *Conn) Close() {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		_ = c.nc.Close()
	})
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }
