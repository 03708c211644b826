package sqlite

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Update runs fn in one write transaction; see inTx for retries.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	return s.inTx(ctx, func(tx *txn) error { return fn(ctx, &ledgerTx{tx: tx}) })
}

// inTx runs fn in one write transaction. Transactions begin IMMEDIATE, so the write lock — and with it every
// conversation read inside — is held from the start; the single writer connection queues this process's
// writers, and SQLITE_BUSY (another process kept the lock beyond BusyTimeout) retries the whole fn.
func (s *Store) inTx(ctx context.Context, fn func(tx *txn) error) error {
	backoff := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.txOnce(ctx, fn)
		if err == nil || !isBusy(err) || attempt >= s.cfg.UpdateRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return translate(ctx.Err(), "")
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (s *Store) txOnce(ctx context.Context, fn func(tx *txn) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(err, "")
	}
	tx := &txn{Tx: sqlTx, d: s.w}
	committed := false
	defer func() { // also on panic, so the writer connection is never left inside a transaction
		if !committed {
			_ = tx.Rollback()
		}
		s.w.prepare(context.WithoutCancel(ctx), tx.missing) // the connection is free again
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return translate(tx.Commit(), "")
}

// ledgerTx is the ports.LedgerTx of one Update.
type ledgerTx struct{ tx *txn }

var _ ports.LedgerTx = (*ledgerTx)(nil)

// Conversation returns the conversation; the transaction already holds the database's write lock.
func (t *ledgerTx) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	return getConversation(ctx, t.tx, id)
}

// Member returns a membership as this transaction sees it.
func (t *ledgerTx) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	return getMember(ctx, t.tx, conversationID, userID)
}

// Message returns a message as this transaction sees it.
func (t *ledgerTx) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	return getMessage(ctx, t.tx, conversationID, messageID)
}

// Reactions returns the tallies of messageIDs as this transaction sees them.
func (t *ledgerTx) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	return reactionsOf(ctx, t.tx, conversationID, viewerID, messageIDs)
}

// PinCount counts the conversation's pinned messages.
func (t *ledgerTx) PinCount(ctx context.Context, conversationID string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = ? AND pinned_at IS NOT NULL`,
		conversationID).Scan(&n)
	return n, translate(err, "")
}

// LoadSends reads what sequencing needs about each conversation; the transaction holds the database's write
// lock already, and the reads are prepared statements on an in-process database.
func (t *ledgerTx) LoadSends(ctx context.Context, reads []ports.SendReads) ([]core.SendState, error) {
	states := make([]core.SendState, len(reads))
	for i, r := range reads {
		st := core.SendState{Members: map[string]bool{}, MutedUntil: map[string]time.Time{},
			Sent: map[core.SendKey]core.Message{}, Messages: map[string]bool{}}
		c, err := getConversation(ctx, t.tx, r.ConversationID)
		switch {
		case err == nil:
			st.Conversation, st.Found = c, true
		case !errors.Is(err, core.ErrNotFound):
			return nil, err
		}
		for _, u := range r.Senders {
			if m, err := getMember(ctx, t.tx, r.ConversationID, u); err == nil {
				st.Members[u] = true
				if m.MutedUntil != nil {
					st.MutedUntil[u] = *m.MutedUntil
				}
			} else if !errors.Is(err, core.ErrNotFound) {
				return nil, err
			}
		}
		for _, k := range r.Keys {
			if m, err := getMessageByKey(ctx, t.tx, r.ConversationID, k.SenderID, k.ClientMsgID); err == nil {
				st.Sent[k] = m
			} else if !errors.Is(err, core.ErrNotFound) {
				return nil, err
			}
		}
		for _, id := range r.ReplyTo {
			var one int
			err := t.tx.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?`,
				id, r.ConversationID).Scan(&one)
			if err == nil {
				st.Messages[id] = true
			} else if err = translate(err, "message"); !errors.Is(err, core.ErrNotFound) {
				return nil, err
			}
		}
		states[i] = st
	}
	return states, nil
}

// Append checks density, then applies the events inside a savepoint, so a refused Append changes nothing
// even when fn goes on and commits.
func (t *ledgerTx) Append(ctx context.Context, events ...core.Event) error {
	if len(events) == 0 {
		return nil
	}
	groups := core.GroupByConversation(events)
	for _, g := range groups {
		var lastSeq int64
		if err := t.tx.QueryRowContext(ctx, `SELECT last_seq FROM conversations WHERE id = ?`, g[0].ConversationID).Scan(&lastSeq); err != nil {
			return translate(err, "conversation")
		}
		for i, e := range g {
			if e.Seq != lastSeq+1+int64(i) {
				return core.Errorf(core.CodeConflict, "event seq %d does not follow lastSeq %d", e.Seq, lastSeq+int64(i))
			}
		}
	}
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT append_events`); err != nil {
		return translate(err, "")
	}
	for _, g := range groups {
		if err := t.apply(ctx, g[0].ConversationID, g); err != nil {
			undo := context.WithoutCancel(ctx) // undo even when ctx is what failed
			_, _ = t.tx.ExecContext(undo, `ROLLBACK TO append_events`)
			_, _ = t.tx.ExecContext(undo, `RELEASE append_events`)
			return err
		}
	}
	_, err := t.tx.ExecContext(ctx, `RELEASE append_events`)
	return translate(err, "")
}

// apply stores the events and their state changes (see ports.LedgerTx.Append), advances the conversation and
// records them in the change feed.
func (t *ledgerTx) apply(ctx context.Context, convID string, events []core.Event) error {
	for _, e := range events {
		if err := t.applyState(ctx, convID, e); err != nil {
			return err
		}
		data, err := encodeEventData(e)
		if err != nil {
			return core.Wrap(core.CodeInternal, err, "cannot encode event")
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO events (conversation_id, seq, type, at, actor_id, data)
			VALUES (?, ?, ?, ?, ?, ?)`, convID, e.Seq, e.Type, toMS(e.At), e.ActorID, data); err != nil {
			return translate(err, "event")
		}
	}
	last := events[len(events)-1]
	if _, err := t.tx.ExecContext(ctx, `UPDATE conversations SET last_seq = ?, last_activity_at = ? WHERE id = ?`,
		last.Seq, toMS(last.At), convID); err != nil {
		return translate(err, "")
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO change_feed (conversation_id, first_seq, last_seq) VALUES (?, ?, ?)`,
		convID, events[0].Seq, last.Seq)
	return translate(err, "change feed")
}

func (t *ledgerTx) applyState(ctx context.Context, convID string, e core.Event) error {
	switch e.Type {
	case core.EventMessageCreated:
		if e.Message == nil {
			return core.Invalid("message", "%s needs a message", e.Type)
		}
		m := e.Message // stored with the event's conversation and seq: a message's seq is its creation event's
		mentions, attachments, err := messageJSON(*m)
		if err != nil {
			return err
		}
		_, err = t.tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id,
			body, reply_to, created_at, edited_at, deleted_at, command_id, pinned_at, pinned_by, mentions, mention_all,
			attachments, thread_root_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, convID, e.Seq, m.SenderID, m.ClientMsgID, m.Body, m.ReplyTo, toMS(m.CreatedAt),
			toMSPtr(m.EditedAt), toMSPtr(m.DeletedAt), m.CommandID, toMSPtr(m.PinnedAt), m.PinnedBy, mentions, m.MentionAll,
			attachments, m.ThreadRootID)
		return translate(err, "message")
	case core.EventMessageEdited, core.EventMessageDeleted, core.EventMessagePinned, core.EventMessageUnpinned:
		if e.Message == nil {
			return core.Invalid("message", "%s needs a message", e.Type)
		}
		// Identity columns (id, seq, sender, clientMsgId) stay: the dedupe key depends on them.
		m := e.Message
		mentions, attachments, err := messageJSON(*m)
		if err != nil {
			return err
		}
		if err := t.execOne(ctx, "message", `UPDATE messages SET body = ?, reply_to = ?, edited_at = ?, deleted_at = ?,
			pinned_at = ?, pinned_by = ?, mentions = ?, mention_all = ?, attachments = ? WHERE id = ? AND conversation_id = ?`,
			m.Body, m.ReplyTo, toMSPtr(m.EditedAt), toMSPtr(m.DeletedAt), toMSPtr(m.PinnedAt), m.PinnedBy,
			mentions, m.MentionAll, attachments, m.ID, convID); err != nil {
			return err
		}
		if e.Type != core.EventMessageDeleted {
			return nil
		}
		_, err = t.tx.ExecContext(ctx, `DELETE FROM reactions WHERE message_id = ?`, m.ID)
		return translate(err, "reaction")
	case core.EventReactionAdded, core.EventReactionRemoved:
		r := e.Reaction
		if r == nil {
			return core.Invalid("reaction", "%s needs a reaction", e.Type)
		}
		if _, err := getMessage(ctx, t.tx, convID, r.MessageID); err != nil {
			return err
		}
		if e.Type == core.EventReactionRemoved {
			return t.execOne(ctx, "reaction", `DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`,
				r.MessageID, r.UserID, r.Emoji)
		}
		_, err := t.tx.ExecContext(ctx, `INSERT INTO reactions (message_id, user_id, emoji, conversation_id, seq)
			VALUES (?, ?, ?, ?, ?)`, r.MessageID, r.UserID, r.Emoji, convID, e.Seq)
		return translate(err, "reaction")
	case core.EventMemberJoined, core.EventMemberUpdated, core.EventMemberLeft:
		if e.Member == nil {
			return core.Invalid("member", "%s needs a member", e.Type)
		}
		m := *e.Member
		m.ConversationID = convID
		switch e.Type {
		case core.EventMemberJoined:
			return insertMember(ctx, t.tx, m)
		case core.EventMemberUpdated:
			return t.execOne(ctx, "member", `UPDATE members SET role = ?, muted_until = ? WHERE conversation_id = ? AND user_id = ?`,
				m.Role, toMSPtr(m.MutedUntil), convID, m.UserID)
		default:
			return t.execOne(ctx, "member", `DELETE FROM members WHERE conversation_id = ? AND user_id = ?`,
				convID, m.UserID)
		}
	case core.EventConversationUpdated:
		if e.Conversation == nil {
			return core.Invalid("conversation", "%s needs a conversation", e.Type)
		}
		c := e.Conversation
		_, err := t.tx.ExecContext(ctx, `UPDATE conversations SET title = ?, title_lower = ?, topic = ?, slow_mode_seconds = ?
			WHERE id = ?`, c.Title, strings.ToLower(c.Title), c.Topic, toSeconds(c.SlowMode), convID)
		return translate(err, "")
	default:
		return core.Invalid("type", "unknown event type %q", e.Type)
	}
}

// execOne runs a statement that must change exactly one row of what; none is core.ErrNotFound.
func (t *ledgerTx) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}
