package socketio

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// requestTimeout bounds one client request (a send waits for the sequencer within it).
const requestTimeout = 15 * time.Second

// Events lists the client → server events this endpoint handles (the AsyncAPI document is checked against it).
var Events = []string{"message:send", "message:edit", "message:delete", "message:react", "message:unreact",
	"message:pin", "message:unpin", "conversation:read", "typing", "sync"}

// Emits lists the server → client events this endpoint broadcasts (see dispatch.go; the AsyncAPI document is checked
// against it).
var Emits = []string{"event", "typing", "presence", "read"}

// handlerFunc serves one client request; its result is the success ack (nil: no ack body beyond ok), or a
// deferred whose wait gives it.
type handlerFunc func(ctx context.Context, c *conn, payload any) (any, error)

// deferred is a result still to come: the request's ordered part is done (a send is in the log) and waiting
// for the rest (its seq) must not hold up the socket's next requests.
type deferred func(ctx context.Context) (any, error)

// handlers are the client events this endpoint serves, by name.
func (s *Server) handlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"message:send":      s.onSend,
		"message:edit":      s.onEdit,
		"message:delete":    s.onDelete,
		"message:react":     s.onReact(true),
		"message:unreact":   s.onReact(false),
		"message:pin":       s.onPin(true),
		"message:unpin":     s.onPin(false),
		"conversation:read": s.onRead,
		"typing":            s.onTyping,
		"sync":              s.onSync,
	}
}

// handle registers one listener for every client event of c (one, not one per event name: listeners cost
// memory on every idle socket). Unknown events are ignored, as the library ignores events nobody listens to.
func (s *Server) handle(c *conn) {
	c.sock.OnAny(func(args ...any) {
		name, _ := first[string](args)
		if h, ok := s.routes[name]; ok {
			s.serve(c, name, h, args[1:])
		}
	})
}

// serve runs one client request on the connection's queue and acks it once: with its result, its error, or
// rate_limited when QueueDepth requests are waiting already.
func (s *Server) serve(c *conn, name string, h handlerFunc, args []any) {
	payload, ack := splitArgs(args)
	reply := func(v any) {
		if ack != nil {
			ack([]any{v}, nil)
		}
	}
	finish := func(res any, err error) {
		if err != nil {
			if core.CodeOf(err) == core.CodeInternal {
				s.log.Error("socket request failed", "event", name, "user", c.userID, "err", err)
			}
			reply(errorBody(err))
			return
		}
		if res == nil {
			res = ackOK{OK: true}
		}
		reply(res)
	}
	// The bound runs from the request's arrival, not from when its turn comes: a request queued behind slow ones
	// (a set-up under load) is still answered within requestTimeout of being sent — with unavailable, if its
	// time ran out while it waited.
	deadline := time.Now().Add(requestTimeout)
	queued := c.enqueue(func() {
		if !time.Now().Before(deadline) {
			finish(nil, core.Errorf(core.CodeUnavailable, "the request waited too long to be served; retry it"))
			return
		}
		ctx, cancel := context.WithDeadline(s.ctx, deadline)
		res, err := h(ctx, c, payload)
		later, ok := res.(deferred)
		if !ok || err != nil {
			defer cancel()
			finish(res, err)
			return
		}
		c.inflight <- struct{}{} // bounds the waits a socket may have open
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-c.inflight }()
			defer cancel()
			res, err := later(ctx)
			finish(res, err)
		}()
	})
	if !queued {
		reply(errorBody(&core.Error{Code: core.CodeRateLimited, Message: "too many requests in flight",
			RetryAfter: 100 * time.Millisecond}))
	}
}

func (s *Server) onSend(ctx context.Context, c *conn, payload any) (any, error) {
	var p sendPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := firstErr(required("conversationId", p.ConversationID), required("clientMsgId", p.ClientMsgID)); err != nil {
		return nil, err
	}
	pending, err := s.svc.Submit(ctx, c.userID, chat.SendInput{ConversationID: p.ConversationID,
		ClientMsgID: p.ClientMsgID, Body: p.Body, ReplyTo: p.ReplyTo, ThreadRootID: p.ThreadRootID,
		AttachmentIDs: p.AttachmentIDs})
	if err != nil {
		return nil, err
	}
	return deferred(func(ctx context.Context) (any, error) {
		out, err := pending.Wait(ctx)
		if err != nil {
			return nil, err
		}
		m := schema.MessageOf(out.Message)
		if out.Accepted {
			return ackOK{OK: true, Accepted: true, Message: &schema.Message{ID: m.ID, ClientMsgID: m.ClientMsgID,
				ConversationID: m.ConversationID, SenderID: m.SenderID, Body: m.Body, CreatedAt: m.CreatedAt}}, nil
		}
		return ackOK{OK: true, Message: &m}, nil
	}), nil
}

func (s *Server) onEdit(ctx context.Context, c *conn, payload any) (any, error) {
	var p editPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := firstErr(required("conversationId", p.ConversationID), required("messageId", p.MessageID)); err != nil {
		return nil, err
	}
	m, err := s.svc.Edit(ctx, c.userID, p.ConversationID, p.MessageID, p.Body)
	if err != nil {
		return nil, err
	}
	out := schema.MessageOf(m)
	return ackOK{OK: true, Message: &out}, nil
}

func (s *Server) onDelete(ctx context.Context, c *conn, payload any) (any, error) {
	var p deletePayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := firstErr(required("conversationId", p.ConversationID), required("messageId", p.MessageID)); err != nil {
		return nil, err
	}
	m, err := s.svc.Delete(ctx, c.userID, p.ConversationID, p.MessageID)
	if err != nil {
		return nil, err
	}
	out := schema.MessageOf(m)
	return ackOK{OK: true, Message: &out}, nil
}

// onReact serves message:react (add) and message:unreact: the ack carries the message's tallies.
func (s *Server) onReact(add bool) handlerFunc {
	return func(ctx context.Context, c *conn, payload any) (any, error) {
		var p reactPayload
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if err := firstErr(required("conversationId", p.ConversationID), required("messageId", p.MessageID),
			required("emoji", p.Emoji)); err != nil {
			return nil, err
		}
		react := s.svc.Unreact
		if add {
			react = s.svc.React
		}
		rs, err := react(ctx, c.userID, p.ConversationID, p.MessageID, p.Emoji)
		if err != nil {
			return nil, err
		}
		out := schema.ReactionsOf(rs)
		if out == nil {
			out = []schema.ReactionCount{}
		}
		return struct {
			OK        bool                   `json:"ok"`
			Reactions []schema.ReactionCount `json:"reactions"`
		}{true, out}, nil
	}
}

// onPin serves message:pin and message:unpin: the ack carries the message.
func (s *Server) onPin(pin bool) handlerFunc {
	return func(ctx context.Context, c *conn, payload any) (any, error) {
		var p deletePayload // the same fields: the message
		if err := decode(payload, &p); err != nil {
			return nil, err
		}
		if err := firstErr(required("conversationId", p.ConversationID), required("messageId", p.MessageID)); err != nil {
			return nil, err
		}
		do := s.svc.Unpin
		if pin {
			do = s.svc.Pin
		}
		m, err := do(ctx, c.userID, p.ConversationID, p.MessageID)
		if err != nil {
			return nil, err
		}
		out := schema.MessageOf(m)
		return ackOK{OK: true, Message: &out}, nil
	}
}

func (s *Server) onRead(ctx context.Context, c *conn, payload any) (any, error) {
	var p readPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := required("conversationId", p.ConversationID); err != nil {
		return nil, err
	}
	if p.Seq == nil {
		return nil, core.Invalid("seq", "seq is required")
	}
	readSeq, err := s.svc.MarkRead(ctx, c.userID, p.ConversationID, *p.Seq)
	if err != nil {
		return nil, err
	}
	return struct {
		OK      bool  `json:"ok"`
		ReadSeq int64 `json:"readSeq"`
	}{true, readSeq}, nil
}

func (s *Server) onTyping(ctx context.Context, c *conn, payload any) (any, error) {
	var p typingPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if err := required("conversationId", p.ConversationID); err != nil {
		return nil, err
	}
	if p.Typing == nil {
		return nil, core.Invalid("typing", "typing is required")
	}
	return nil, s.svc.Typing(ctx, c.userID, p.ConversationID, *p.Typing)
}

func (s *Server) onSync(ctx context.Context, c *conn, payload any) (any, error) {
	var p syncPayload
	if err := decode(payload, &p); err != nil {
		return nil, err
	}
	if p.Cursors == nil {
		return nil, core.Invalid("cursors", "cursors is required")
	}
	res, err := s.svc.Sync(ctx, c.userID, p.Cursors, p.Limit)
	if err != nil {
		return nil, err
	}
	out := ackSync{OK: true, Events: make([]schema.Event, 0, len(res.Events)), Truncated: res.Truncated}
	if out.Truncated == nil {
		out.Truncated = []string{}
	}
	for _, e := range res.Events {
		out.Events = append(out.Events, schema.EventOf(e))
	}
	return out, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
