package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sio "github.com/zishang520/socket.io/clients/socket/v3"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// The payloads of the real-time API (openapi/asyncapi.yaml, checked field by field by openapi's tests).

// SendRequest is message:send.
type SendRequest struct {
	ConversationID string   `json:"conversationId"`
	ClientMsgID    string   `json:"clientMsgId"`
	Body           string   `json:"body"`
	ReplyTo        string   `json:"replyTo,omitempty"`
	ThreadRootID   string   `json:"threadRootId,omitempty"`
	AttachmentIDs  []string `json:"attachmentIds,omitempty"`
}

// EditRequest is message:edit.
type EditRequest struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
	Body           string `json:"body"`
}

// DeleteRequest is message:delete (and message:pin, message:unpin).
type DeleteRequest struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
}

// ReactRequest is message:react and message:unreact: one emoji, or a :shortcode: of the server's set.
type ReactRequest struct {
	ConversationID string `json:"conversationId"`
	MessageID      string `json:"messageId"`
	Emoji          string `json:"emoji"`
}

// ReadRequest is conversation:read.
type ReadRequest struct {
	ConversationID string `json:"conversationId"`
	Seq            int64  `json:"seq"`
}

// TypingRequest is typing (client → server).
type TypingRequest struct {
	ConversationID string `json:"conversationId"`
	Typing         bool   `json:"typing"`
}

// SyncRequest is sync.
type SyncRequest struct {
	Cursors map[string]int64 `json:"cursors"`
	Limit   int              `json:"limit,omitempty"`
}

// SendAck is the ack of message:send: the stored message, or (Accepted) the durable message whose seq is pending.
type SendAck struct {
	OK       bool        `json:"ok"`
	Accepted bool        `json:"accepted,omitempty"`
	Message  sdk.Message `json:"message"`
}

// MessageAck is the ack of message:edit, message:delete, message:pin and message:unpin.
type MessageAck struct {
	OK      bool        `json:"ok"`
	Message sdk.Message `json:"message"`
}

// ReactionsAck is the ack of message:react and message:unreact: the message's tallies after the change.
type ReactionsAck struct {
	OK        bool                `json:"ok"`
	Reactions []sdk.ReactionCount `json:"reactions"`
}

// ReadAck is the ack of conversation:read.
type ReadAck struct {
	OK      bool  `json:"ok"`
	ReadSeq int64 `json:"readSeq"`
}

// SyncAck is the ack of sync.
type SyncAck struct {
	OK        bool        `json:"ok"`
	Events    []sdk.Event `json:"events"`
	Truncated []string    `json:"truncated"`
}

// TypingNotice is typing (server → client).
type TypingNotice struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Typing         bool   `json:"typing"`
}

// ReadReceipt is read.
type ReadReceipt struct {
	ConversationID string `json:"conversationId"`
	UserID         string `json:"userId"`
	Seq            int64  `json:"seq"`
}

// Error is a refused request: the ack {ok: false, error: {code, message, retryAfterMs?}}.
type Error struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ClientOptions configure a Client. The handlers run one at a time, on the connection's goroutine: a slow
// OnEvent slows the connection down (the server ends a socket that falls too far behind; the client then
// reconnects and resumes by seq, so nothing is lost).
type ClientOptions struct {
	Token     string // a session token, an application token (JWT) or a bot's API key
	Transport string // "websocket" (default) or "polling"
	// Cursors are the last seq the caller applied per conversation (e.g. kept from a previous run, or the
	// lastSeq of the REST conversation list): the client resumes each after it. A conversation without one
	// starts at the first event the client hears of it.
	Cursors map[string]int64
	// OnEvent receives every event of every conversation once, in seq order per conversation.
	OnEvent    func(sdk.Event)
	OnTyping   func(TypingNotice)
	OnPresence func(sdk.Presence)
	OnRead     func(ReadReceipt)
	// OnDisconnect hears why the connection ended; the client reconnects by itself unless the server ended it
	// ("io server disconnect": a logout, a revoked key, a deactivated account) or Close was called.
	OnDisconnect func(reason string)
	// SyncLimit is the most events one sync answer carries (0: the server's default).
	SyncLimit int
	// API, when set, is a REST client signed in as the same user: at Dial and after each reconnection the
	// client lists the user's conversations and starts tracking those it has no cursor for at their lastSeq,
	// so that a conversation quiet since Dial, or joined while the connection was down, is resumed too.
	// Without it, only conversations with a cursor (given, or set by an event heard) are resumed.
	API *sdk.ClientWithResponses
}

// Client is a connection to scalechat's real-time API that delivers each conversation's events exactly once and
// in seq order: it keeps the last seq it delivered per conversation, drops what it has already delivered, and
// asks the server (sync) for what it missed — after each (re)connect and whenever a live event skips a seq.
type Client struct {
	sock *sio.Socket
	opts ClientOptions

	order   sync.Mutex       // one delivery at a time, in order
	cursors map[string]int64 // under order

	mu      sync.Mutex
	syncing bool // a sync is running; another is wanted when again is set
	again   bool
	closed  chan struct{}
	once    sync.Once
}

// Dial connects to baseURL (http(s)://host) and returns once the server accepted the handshake and the client has
// caught up with the given cursors; a refused handshake is an error with the server's reason.
func Dial(ctx context.Context, baseURL string, o ClientOptions) (*Client, error) {
	sock, err := New(baseURL, Options{Transport: o.Transport, Token: o.Token, Reconnect: true})
	if err != nil {
		return nil, err
	}
	c := &Client{sock: sock, opts: o, cursors: map[string]int64{}, closed: make(chan struct{})}
	for conv, seq := range o.Cursors {
		c.cursors[conv] = seq
	}
	connected, refused := make(chan struct{}, 1), make(chan error, 1)
	var first atomic.Bool
	_ = sock.On("connect", func(...any) {
		if first.CompareAndSwap(false, true) {
			connected <- struct{}{}
			return
		}
		go c.resume() // a reconnection: catch up with what was missed meanwhile
	})
	_ = sock.On("connect_error", func(args ...any) {
		select {
		case refused <- fmt.Errorf("connection refused: %v", First(args)):
		default:
		}
	})
	_ = sock.On("disconnect", func(args ...any) {
		if o.OnDisconnect != nil {
			reason, _ := First(args).(string)
			o.OnDisconnect(reason)
		}
	})
	On(sock, "event", c.live, func(string) {})
	if o.OnTyping != nil {
		On(sock, "typing", o.OnTyping, func(string) {})
	}
	if o.OnPresence != nil {
		On(sock, "presence", o.OnPresence, func(string) {})
	}
	if o.OnRead != nil {
		On(sock, "read", o.OnRead, func(string) {})
	}
	if err := Open(ctx, sock); err != nil {
		sock.Disconnect()
		return nil, err
	}
	select {
	case <-connected:
	case err := <-refused:
		sock.Disconnect()
		return nil, err
	case <-ctx.Done():
		sock.Disconnect()
		return nil, fmt.Errorf("no answer to the handshake: %w", ctx.Err())
	}
	if err := c.Sync(ctx); err != nil {
		sock.Disconnect()
		return nil, err
	}
	return c, nil
}

// Close ends the connection; no handler is called after it returns.
func (c *Client) Close() {
	c.once.Do(func() {
		close(c.closed)
		c.sock.Disconnect()
		c.order.Lock() // wait for a delivery in progress
		c.order.Unlock()
	})
}

// Cursor returns the last seq delivered of a conversation (0: none).
func (c *Client) Cursor(conversationID string) int64 {
	c.order.Lock()
	defer c.order.Unlock()
	return c.cursors[conversationID]
}

// live handles an event pushed by the server: delivered when it is the next of its conversation, dropped when
// delivered already, and the reason for a sync when it skips a seq (the sync brings it, in order).
func (c *Client) live(e sdk.Event) {
	c.order.Lock()
	gap := c.apply([]sdk.Event{e})
	c.order.Unlock()
	if gap {
		go c.resume()
	}
}

// apply delivers the events that come next in their conversations, in the order given, and reports whether
// one of them skipped a seq. The caller holds c.order.
func (c *Client) apply(events []sdk.Event) (gap bool) {
	for _, e := range events {
		select {
		case <-c.closed:
			return false
		default:
		}
		last, known := c.cursors[e.ConversationId]
		switch {
		case known && e.Seq <= last:
			continue // delivered already
		case known && e.Seq > last+1:
			gap = true
			continue
		}
		c.cursors[e.ConversationId] = e.Seq
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(e)
		}
	}
	return gap
}

// resume syncs in the background; concurrent calls coalesce into one more sync after the running one.
func (c *Client) resume() {
	c.mu.Lock()
	if c.syncing {
		c.again = true
		c.mu.Unlock()
		return
	}
	c.syncing = true
	c.mu.Unlock()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.Sync(ctx)
		cancel()
		c.mu.Lock()
		if !c.again || isClosed(c.closed) {
			c.syncing, c.again = false, false
			c.mu.Unlock()
			if err != nil && !isClosed(c.closed) && c.sock.Connected() {
				time.AfterFunc(time.Second, c.resume) // the server was busy or unreachable: try again shortly
			}
			return
		}
		c.again = false
		c.mu.Unlock()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Sync asks the server for every event after the client's cursors and delivers them, page after page while the
// answer says a conversation was truncated. Dial and reconnections call it; so does a gap in live events. With
// ClientOptions.API it first starts tracking the user's conversations it did not know.
func (c *Client) Sync(ctx context.Context) error {
	if err := c.track(ctx); err != nil {
		return err
	}
	for {
		c.order.Lock()
		cursors := make(map[string]int64, len(c.cursors))
		for conv, seq := range c.cursors {
			cursors[conv] = seq
		}
		c.order.Unlock()
		if len(cursors) == 0 {
			return nil
		}
		var ack SyncAck
		if err := c.ask(ctx, "sync", SyncRequest{Cursors: cursors, Limit: c.opts.SyncLimit}, &ack); err != nil {
			return err
		}
		c.order.Lock()
		c.apply(ack.Events) // the answer holds each conversation's events dense and in seq order
		c.order.Unlock()
		if len(ack.Truncated) == 0 {
			return nil
		}
	}
}

// track lists the user's conversations (ClientOptions.API) and starts tracking those without a cursor at
// their lastSeq.
func (c *Client) track(ctx context.Context) error {
	if c.opts.API == nil {
		return nil
	}
	params := &sdk.ListConversationsParams{Limit: ptr(int64(200))}
	for {
		r, err := c.opts.API.ListConversationsWithResponse(ctx, params)
		if err != nil {
			return err
		}
		if r.JSON200 == nil {
			return fmt.Errorf("listing conversations: %s", r.Status())
		}
		c.order.Lock()
		for _, conv := range r.JSON200.Items {
			if _, known := c.cursors[conv.Id]; !known {
				c.cursors[conv.Id] = conv.LastSeq
			}
		}
		c.order.Unlock()
		if r.JSON200.Next == nil {
			return nil
		}
		params.Cursor = r.JSON200.Next
	}
}

func ptr[T any](v T) *T { return &v }

// Send sends a message and returns its ack: the stored message (Accepted: durable, seq pending). A retry with
// the same ClientMsgID returns the original message. Refusals are *Error.
func (c *Client) Send(ctx context.Context, r SendRequest) (SendAck, error) {
	var ack SendAck
	err := c.ask(ctx, "message:send", r, &ack)
	return ack, err
}

// Edit replaces the body of one's own message.
func (c *Client) Edit(ctx context.Context, r EditRequest) (sdk.Message, error) {
	var ack MessageAck
	err := c.ask(ctx, "message:edit", r, &ack)
	return ack.Message, err
}

// Delete turns a message into a tombstone.
func (c *Client) Delete(ctx context.Context, r DeleteRequest) (sdk.Message, error) {
	var ack MessageAck
	err := c.ask(ctx, "message:delete", r, &ack)
	return ack.Message, err
}

// React puts one of the user's emoji on a message and returns its tallies.
func (c *Client) React(ctx context.Context, r ReactRequest) ([]sdk.ReactionCount, error) {
	var ack ReactionsAck
	err := c.ask(ctx, "message:react", r, &ack)
	return ack.Reactions, err
}

// Unreact takes one of the user's emoji back and returns the message's tallies.
func (c *Client) Unreact(ctx context.Context, r ReactRequest) ([]sdk.ReactionCount, error) {
	var ack ReactionsAck
	err := c.ask(ctx, "message:unreact", r, &ack)
	return ack.Reactions, err
}

// Pin pins a message (admins and owners of groups and channels, either person of a direct conversation).
func (c *Client) Pin(ctx context.Context, r DeleteRequest) (sdk.Message, error) {
	var ack MessageAck
	err := c.ask(ctx, "message:pin", r, &ack)
	return ack.Message, err
}

// Unpin unpins a message.
func (c *Client) Unpin(ctx context.Context, r DeleteRequest) (sdk.Message, error) {
	var ack MessageAck
	err := c.ask(ctx, "message:unpin", r, &ack)
	return ack.Message, err
}

// MarkRead records that the user read up to a seq; it returns the read position (never moving backwards).
func (c *Client) MarkRead(ctx context.Context, r ReadRequest) (int64, error) {
	var ack ReadAck
	err := c.ask(ctx, "conversation:read", r, &ack)
	return ack.ReadSeq, err
}

// Typing tells the other members the user is (or stopped) typing; no ack is awaited.
func (c *Client) Typing(r TypingRequest) error { return c.sock.Emit("typing", r) }

// ask emits event with payload and decodes the ack into out, or returns the refusal as *Error.
func (c *Client) ask(ctx context.Context, event string, payload, out any) error {
	if isClosed(c.closed) {
		return errors.New("realtime: the client is closed")
	}
	a, err := EmitAck(ctx, c.sock, c.closed, event, payload)
	if err != nil {
		return err
	}
	if a["ok"] != true {
		var refused struct {
			Error Error `json:"error"`
		}
		if err := DecodeInto(a, &refused); err != nil || refused.Error.Code == "" {
			return fmt.Errorf("%s: malformed ack %v", event, a)
		}
		return &refused.Error
	}
	return DecodeInto(a, out)
}
