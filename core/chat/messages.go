package chat

import (
	"context"
	"errors"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// SendInput is a message to send. An empty ClientMsgID gets a generated one (no idempotency then).
type SendInput struct {
	ConversationID string
	ClientMsgID    string
	Body           string
	ReplyTo        string
	ThreadRootID   string   // reply in the thread of this top-level message
	AttachmentIDs  []string // the sender's uploads to this conversation (see Service.Upload)
}

// Sent is the outcome of a send.
type Sent struct {
	Message   core.Message
	Duplicate bool // the clientMsgId was seen before: Message is the original
	Accepted  bool // durable but not sequenced within the ack timeout: only ID and ClientMsgID are set
}

// Send validates, authorizes and rate-limits a message, puts it on the command log and waits for the sequencer.
func (s *Service) Send(ctx context.Context, actor string, in SendInput) (Sent, error) {
	p, err := s.Submit(ctx, actor, in)
	if err != nil {
		return Sent{}, err
	}
	return p.Wait(ctx)
}

// Pending is a submitted send: durable in the log (or answered from storage), its sequencing awaited by Wait.
type Pending struct {
	s       *Service
	cmd     core.SendCommand
	known   *Sent // answered without a command (a retry of a stored message, over the rate)
	results <-chan core.SendResult
	done    func()
}

// Submit validates, authorizes and rate-limits a message and puts it on the command log. It returns once the
// command is accepted by the log; Wait then waits for the sequencer. Submitting one sender's messages one after
// another keeps their order while their waits overlap: that is how a socket pipelines its sends.
func (s *Service) Submit(ctx context.Context, actor string, in SendInput) (*Pending, error) {
	if err := core.ValidateBody(in.Body); err != nil {
		return nil, err
	}
	if in.ClientMsgID == "" {
		in.ClientMsgID = s.d.IDs.NewID()
	} else if err := core.ValidateClientMsgID(in.ClientMsgID); err != nil {
		return nil, err
	}
	slow, err := s.trustedMember(ctx, actor, in.ConversationID)
	if err != nil {
		return nil, err
	}
	if in.ReplyTo != "" {
		if _, err := s.d.History.Message(ctx, in.ConversationID, in.ReplyTo); err != nil {
			if errors.Is(err, core.ErrNotFound) {
				return nil, core.Invalid("replyTo", "replyTo must name a message of this conversation")
			}
			return nil, err
		}
	}
	err = s.allow(ctx, LimitSend, actor, "messages")
	if err == nil {
		err = s.allowSlowMode(ctx, actor, in.ConversationID, slow)
	}
	if err != nil {
		if !errors.Is(err, core.ErrRateLimited) {
			return nil, err
		}
		// A retry of a message already stored is answered from storage even over the rate. Other retries are
		// not looked up here: the sequencer answers them with the stored message (Duplicate), so a send costs
		// the gateway no storage read.
		if m, err := s.d.History.MessageByClientMsgID(ctx, in.ConversationID, actor, in.ClientMsgID); err == nil {
			return &Pending{known: &Sent{Message: m, Duplicate: true}}, nil
		} else if !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		return nil, err
	}
	mentions, all, err := s.mentionsOf(ctx, actor, in.ConversationID, in.Body, "")
	if err != nil {
		return nil, err
	}
	if in.ThreadRootID != "" {
		root, err := s.threadRoot(ctx, in.ConversationID, in.ThreadRootID, true)
		if err != nil {
			return nil, err
		}
		if err := s.followOnReply(ctx, in.ConversationID, root, actor); err != nil {
			return nil, err
		}
	}
	messageID := core.MessageID(in.ConversationID, actor, in.ClientMsgID)
	attachments, err := s.linkAttachments(ctx, actor, in.ConversationID, messageID, in.AttachmentIDs)
	if err != nil {
		return nil, err
	}
	cmd := core.SendCommand{ID: s.d.IDs.NewID(), Origin: s.cfg.Node, ConversationID: in.ConversationID, SenderID: actor,
		MessageID: messageID, ClientMsgID: in.ClientMsgID, Body: in.Body, ReplyTo: in.ReplyTo, ThreadRootID: in.ThreadRootID,
		Mentions: mentions, MentionAll: all, Attachments: attachments, At: s.now()}
	results, done := s.waiters.add(cmd.ID)
	if err := s.d.Log.Append(ctx, cmd); err != nil {
		done()
		return nil, err
	}
	return &Pending{s: s, cmd: cmd, results: results, done: done}, nil
}

// Wait returns the outcome of a submitted send, within the configured ack timeout.
func (p *Pending) Wait(ctx context.Context) (Sent, error) {
	if p.known != nil {
		return *p.known, nil
	}
	defer p.done()
	s, cmd := p.s, p.cmd
	timer := time.NewTimer(s.cfg.AckTimeout)
	defer timer.Stop()
	select {
	case r := <-p.results:
		if r.Err != nil {
			return Sent{}, r.Err
		}
		return Sent{Message: r.Message, Duplicate: r.Duplicate}, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	// No result in time (or the result was lost in fan-out): storage has the answer if it was sequenced.
	lookup, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if m, err := s.d.History.MessageByClientMsgID(lookup, cmd.ConversationID, cmd.SenderID, cmd.ClientMsgID); err == nil {
		return Sent{Message: m, Duplicate: m.CommandID != cmd.ID}, nil
	}
	if s.cfg.AcceptOnTimeout {
		return Sent{Accepted: true, Message: core.Message{ID: cmd.MessageID, ConversationID: cmd.ConversationID,
			SenderID: cmd.SenderID, ClientMsgID: cmd.ClientMsgID, Body: cmd.Body, ReplyTo: cmd.ReplyTo,
			ThreadRootID: cmd.ThreadRootID, CreatedAt: cmd.At,
			Mentions: cmd.Mentions, MentionAll: cmd.MentionAll, Attachments: cmd.Attachments}}, nil
	}
	if ctx.Err() != nil {
		return Sent{}, core.Wrap(core.CodeUnavailable, ctx.Err(), "request cancelled before the message was stored")
	}
	return Sent{}, core.Errorf(core.CodeUnavailable, "the message could not be stored in time; retry with the same clientMsgId")
}

// Edit replaces the body of actor's own message, and with it the mentions.
func (s *Service) Edit(ctx context.Context, actor, conversationID, messageID, body string) (core.Message, error) {
	if err := core.ValidateBody(body); err != nil {
		return core.Message{}, err
	}
	mentions, all, err := s.mentionsOf(ctx, actor, conversationID, body, messageID)
	if err != nil {
		return core.Message{}, err
	}
	return s.alterMessage(ctx, LimitEdit, actor, conversationID, messageID, func(_ ports.LedgerTx, m core.Member, conv core.Conversation, msg *core.Message) (core.EventType, error) {
		if !m.CanEdit(*msg) {
			return "", core.Errorf(core.CodePermissionDenied, "only the sender may edit a message")
		}
		if m.MutedAt(s.now()) {
			return "", mutedError(*m.MutedUntil)
		}
		if msg.Deleted() {
			return "", core.Errorf(core.CodeConflict, "the message was deleted")
		}
		if msg.Body == body {
			return "", nil
		}
		now := s.now()
		msg.Body, msg.EditedAt, msg.Mentions, msg.MentionAll = body, &now, mentions, all
		return core.EventMessageEdited, nil
	})
}

// Delete turns a message into a tombstone: the sender's own, or anyone's for admins and owners. Deleting twice
// is harmless.
func (s *Service) Delete(ctx context.Context, actor, conversationID, messageID string) (core.Message, error) {
	return s.alterMessage(ctx, LimitEdit, actor, conversationID, messageID, func(_ ports.LedgerTx, m core.Member, conv core.Conversation, msg *core.Message) (core.EventType, error) {
		if !m.CanDelete(conv, *msg) {
			return "", core.Errorf(core.CodePermissionDenied, "you may not delete this message")
		}
		if msg.Deleted() {
			return "", nil
		}
		tombstone(msg, s.now())
		return core.EventMessageDeleted, nil
	})
}

// tombstone turns msg into what a deleted message leaves.
func tombstone(msg *core.Message, now time.Time) {
	msg.Body, msg.DeletedAt = "", &now
	msg.PinnedAt, msg.PinnedBy = nil, "" // a tombstone is not pinned (its reactions go with it too)
	msg.Attachments = nil                // nor does it show files (their downloads are refused)
}

// limitWhat names what the limits of alterMessage count, for their errors.
var limitWhat = map[Limit]string{LimitEdit: "edits and deletes", LimitPin: "pins"}

// alterMessage runs an edit, delete, pin or unpin in the ledger, counted against limit; decide mutates the
// message and names the event ("" = none).
func (s *Service) alterMessage(ctx context.Context, limit Limit, actor, conversationID, messageID string,
	decide func(ports.LedgerTx, core.Member, core.Conversation, *core.Message) (core.EventType, error)) (core.Message, error) {
	if err := s.allow(ctx, limit, actor, limitWhat[limit]); err != nil {
		return core.Message{}, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return core.Message{}, err
	}
	var out core.Message
	_, err := s.change(ctx, conversationID, func(ctx context.Context, tx ports.LedgerTx, conv core.Conversation) ([]core.Event, error) {
		m, err := tx.Member(ctx, conversationID, actor)
		if err != nil {
			return nil, notFoundAs(err, "conversation not found")
		}
		msg, err := tx.Message(ctx, conversationID, messageID)
		if err != nil {
			return nil, notFoundAs(err, "message not found")
		}
		typ, err := decide(tx, m, conv, &msg)
		out = msg
		if err != nil || typ == "" {
			return nil, err
		}
		return []core.Event{{Type: typ, ActorID: actor, Message: &msg}}, nil
	})
	return out, err
}

// History returns a page of a conversation's messages in ascending seq order, and whether more exist.
func (s *Service) History(ctx context.Context, actor, conversationID string, q core.HistoryQuery) ([]core.Message, bool, error) {
	if q.Before < 0 || q.After < 0 {
		return nil, false, core.Invalid("before", "before and after must not be negative")
	}
	if q.Before > 0 && q.Forwards() {
		return nil, false, core.Invalid("before", "use before or after, not both")
	}
	var err error
	if q.Limit, err = core.ClampLimit(q.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return nil, false, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return nil, false, err
	}
	msgs, more, err := s.d.History.Messages(ctx, conversationID, q)
	if err != nil {
		return nil, false, err
	}
	return msgs, more, s.readerView(ctx, actor, conversationID, msgs)
}

// MaxEventsLimit bounds one page of events.
const MaxEventsLimit = 500

// Events returns a conversation's events after a seq, dense and in order, and whether more exist.
func (s *Service) Events(ctx context.Context, actor, conversationID string, after int64, limit int) ([]core.Event, bool, error) {
	return s.eventsAfter(ctx, conversationID, after, limit, func() error {
		_, _, err := s.membership(ctx, actor, conversationID)
		return err
	})
}

// eventsAfter validates a page request of events (after, limit), then asks readable whether the caller may read
// the conversation, then reads the page.
func (s *Service) eventsAfter(ctx context.Context, conversationID string, after int64, limit int,
	readable func() error) ([]core.Event, bool, error) {
	if after < 0 {
		return nil, false, core.Invalid("after", "after must not be negative")
	}
	limit, err := core.ClampLimit(limit, 100, MaxEventsLimit)
	if err != nil {
		return nil, false, err
	}
	if err := readable(); err != nil {
		return nil, false, err
	}
	return s.d.History.Events(ctx, conversationID, after, limit)
}

// MarkRead records that actor has read up to seq (never moving backwards) and tells the conversation.
func (s *Service) MarkRead(ctx context.Context, actor, conversationID string, seq int64) (int64, error) {
	if err := s.allow(ctx, LimitRead, actor, "read marks"); err != nil {
		return 0, err
	}
	conv, m, err := s.membership(ctx, actor, conversationID)
	if err != nil {
		return 0, err
	}
	if seq < 0 || seq > conv.LastSeq {
		return 0, core.Invalid("seq", "seq must be between 0 and the conversation's lastSeq (%d)", conv.LastSeq)
	}
	readSeq, err := s.d.Members.MarkRead(ctx, conversationID, actor, seq)
	if err != nil {
		return 0, err
	}
	if readSeq > m.ReadSeq {
		r := core.ReadReceipt{ConversationID: conversationID, UserID: actor, Seq: readSeq}
		s.publish(ctx, core.ConversationTopic(conversationID), core.Envelope{Read: &r})
	}
	return readSeq, nil
}
