package postgres

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Backoff between retries of a transaction: doubling from retryBaseDelay up to retryMaxDelay, each wait
// drawn at random from its upper half so that colliding writers spread out.
const (
	retryBaseDelay = 2 * time.Millisecond
	retryMaxDelay  = 250 * time.Millisecond
)

// Update runs fn in one READ COMMITTED transaction; see inTx for retries.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return fn(ctx, &ledgerTx{tx: tx}) })
}

// inTx runs fn in one transaction and commits it. A serialization failure, a deadlock, or a connection that
// failed before a statement was sent runs the whole fn again in a new transaction, up to UpdateRetries
// times. fn's own errors come back unchanged.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	delay := retryBaseDelay
	for attempt := 0; ; attempt++ {
		err := s.txOnce(ctx, fn)
		if err == nil || !retryable(err) || attempt >= s.cfg.UpdateRetries {
			return err
		}
		wait := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return translate(ctx.Err(), "")
		case <-time.After(wait):
		}
		delay = min(2*delay, retryMaxDelay)
	}
}

func (s *Store) txOnce(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return translate(err, "")
	}
	committed := false
	defer func() { // also on panic, so the connection goes back to the pool outside any transaction
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return translate(tx.Commit(ctx), "")
}

// ledgerTx is the ports.LedgerTx of one Update.
type ledgerTx struct{ tx pgx.Tx }

var _ ports.LedgerTx = (*ledgerTx)(nil)

// Conversation returns the conversation and locks its row (SELECT ... FOR UPDATE) until the transaction ends.
func (t *ledgerTx) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	return getConversation(ctx, t.tx, id, true)
}

// Member returns a membership as this transaction sees it.
func (t *ledgerTx) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	return getMember(ctx, t.tx, conversationID, userID)
}

// Message returns a message as this transaction sees it.
func (t *ledgerTx) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	return getMessage(ctx, t.tx, conversationID, messageID)
}

// MessageByClientMsgID returns the message with that idempotency key as this transaction sees it.
func (t *ledgerTx) MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error) {
	return getMessageByKey(ctx, t.tx, conversationID, senderID, clientMsgID)
}
