package memory

import (
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

// MessageByClientMsgID returns the message with that idempotency key as this transaction sees it.
func (tx *ledgerTx) MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error) {
	if err := tx.check(ctx); err != nil {
		return core.Message{}, err
	}
	id, ok := tx.layer.messageID(clientKey{conversationID, senderID, clientMsgID})
	if !ok {
		return core.Message{}, core.Errorf(core.CodeNotFound, "message not found")
	}
	m, _ := tx.layer.message(id)
	return cloneMessage(m), nil
}

// Append checks density, then applies the events in a child layer merged only on success, so a refused
// Append changes nothing even when fn goes on and commits.
func (tx *ledgerTx) Append(ctx context.Context, events ...core.Event) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	convID := events[0].ConversationID
	c, ok := tx.layer.conversation(convID)
	if !ok {
		return core.Errorf(core.CodeNotFound, "conversation not found")
	}
	for i, e := range events {
		if e.ConversationID != convID {
			return core.Invalid("events", "events of one Append must belong to one conversation")
		}
		if e.Seq != c.LastSeq+1+int64(i) {
			return core.Errorf(core.CodeConflict, "event seq %d does not follow lastSeq %d", e.Seq, c.LastSeq+int64(i))
		}
	}
	child := newTxLayer(tx.layer)
	for _, e := range events {
		if err := child.applyEvent(e); err != nil {
			return err
		}
	}
	child.mergeInto(tx.layer)
	return nil
}
