package memory

import (
	"time"

	"context"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Update runs fn against a private layer of changes, committed to the store only when fn returns nil, so an
// error leaves nothing behind. Transactions are serialised, so fn never needs a retry.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx := &ledgerTx{layer: newTxLayer(committedView{s})}
	defer func() { tx.done = true }()
	if err := fn(ctx, tx); err != nil {
		return err
	}
	// Like a database transaction, a cancelled context rolls back rather than committing late.
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.apply(tx.layer)
	return nil
}

// ledgerTx is the ports.LedgerTx of one Update.
type ledgerTx struct {
	layer *txLayer
	done  bool
}

var _ ports.LedgerTx = (*ledgerTx)(nil)

func (tx *ledgerTx) check(ctx context.Context) error {
	if tx.done {
		return core.Errorf(core.CodeInternal, "transaction already finished")
	}
	return checkCtx(ctx)
}

// Conversation returns the conversation as this transaction sees it.
func (tx *ledgerTx) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	if err := tx.check(ctx); err != nil {
		return core.Conversation{}, err
	}
	c, ok := tx.layer.conversation(id)
	if !ok {
		return core.Conversation{}, core.Errorf(core.CodeNotFound, "conversation not found")
	}
	return c, nil
}

// Member returns a membership as this transaction sees it.
func (tx *ledgerTx) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	if err := tx.check(ctx); err != nil {
		return core.Member{}, err
	}
	m, ok := tx.layer.member(memberKey{conversationID, userID})
	if !ok {
		return core.Member{}, core.Errorf(core.CodeNotFound, "member not found")
	}
	return m, nil
}

// Message returns a message as this transaction sees it.
func (tx *ledgerTx) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	if err := tx.check(ctx); err != nil {
		return core.Message{}, err
	}
	m, ok := tx.layer.message(messageID)
	if !ok || m.ConversationID != conversationID {
		return core.Message{}, core.Errorf(core.CodeNotFound, "message not found")
	}
	return cloneMessage(m), nil
}

// Reactions returns the tallies of messageIDs as this transaction sees them.
func (tx *ledgerTx) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	return reactionsIn(tx.layer, conversationID, viewerID, messageIDs), nil
}

// LoadSends reads what sequencing needs about each conversation as this transaction sees it; transactions
// are serialised, so nothing needs a lock.
func (tx *ledgerTx) LoadSends(ctx context.Context, reads []ports.SendReads) ([]core.SendState, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	states := make([]core.SendState, len(reads))
	for i, r := range reads {
		st := core.SendState{Members: map[string]bool{}, MutedUntil: map[string]time.Time{},
			Sent: map[core.SendKey]core.Message{}, Messages: map[string]bool{}}
		st.Conversation, st.Found = tx.layer.conversation(r.ConversationID)
		for _, u := range r.Senders {
			if m, ok := tx.layer.member(memberKey{r.ConversationID, u}); ok {
				st.Members[u] = true
				if m.MutedUntil != nil {
					st.MutedUntil[u] = *m.MutedUntil
				}
			}
		}
		for _, k := range r.Keys {
			if id, ok := tx.layer.messageID(clientKey{r.ConversationID, k.SenderID, k.ClientMsgID}); ok {
				m, _ := tx.layer.message(id)
				st.Sent[k] = cloneMessage(m)
			}
		}
		for _, id := range r.ReplyTo {
			if m, ok := tx.layer.message(id); ok && m.ConversationID == r.ConversationID {
				st.Messages[id] = true
			}
		}
		states[i] = st
	}
	return states, nil
}

// Append checks density, then applies the events in a child layer merged only on success, so a refused
// Append changes nothing even when fn goes on and commits. The layer also carries the Append's change feed
// entries, one per conversation in order of its first event, which the store numbers when it commits.
func (tx *ledgerTx) Append(ctx context.Context, events ...core.Event) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	child := newTxLayer(tx.layer)
	next := map[string]int64{} // conversation -> the seq its next event must have
	change := map[string]int{} // conversation -> its entry in child.feed
	for _, e := range events {
		want, seen := next[e.ConversationID]
		if !seen {
			c, ok := tx.layer.conversation(e.ConversationID)
			if !ok {
				return core.Errorf(core.CodeNotFound, "conversation not found")
			}
			want = c.LastSeq + 1
			change[e.ConversationID] = len(child.feed)
			child.feed = append(child.feed, core.FeedChange{ConversationID: e.ConversationID, FirstSeq: e.Seq})
		}
		if e.Seq != want {
			return core.Errorf(core.CodeConflict, "event seq %d does not follow lastSeq %d", e.Seq, want-1)
		}
		next[e.ConversationID] = want + 1
		child.feed[change[e.ConversationID]].LastSeq = e.Seq
		if err := child.applyEvent(e); err != nil {
			return err
		}
	}
	child.mergeInto(tx.layer)
	return nil
}

// PinCount counts the conversation's pinned messages as this transaction sees them.
func (tx *ledgerTx) PinCount(ctx context.Context, conversationID string) (int, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	return len(tx.layer.pinned(conversationID)), nil
}
