package postgres

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Backoff between retries of a transaction: doubling from retryBaseDelay up to retryMaxDelay, each wait
// drawn at random from its upper half so that colliding writers spread out.
const (
	retryBaseDelay = 2 * time.Millisecond
	retryMaxDelay  = 250 * time.Millisecond
)

// Update runs fn in one READ COMMITTED transaction, retried as inTx retries. The transaction begins with
// fn's first statement, in the same round trip when that is a pipelined batch (LoadSends): a sequencer batch
// costs three round trips (BEGIN with its reads, its writes, COMMIT), not five.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	return s.retrying(ctx, func() error { return s.updateOnce(ctx, fn) })
}

func (s *Store) updateOnce(ctx context.Context, fn func(ctx context.Context, tx ports.LedgerTx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(err, "")
	}
	// Release closes a connection left inside a transaction (TxStatus not idle) rather than pooling it.
	defer conn.Release()
	t := &ledgerTx{conn: conn}
	committed := false
	defer func() { // also on panic
		if t.begun && !committed {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
		}
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	committed = true
	if !t.begun {
		return nil // fn sent nothing
	}
	tag, err := conn.Exec(ctx, "commit")
	if err != nil {
		return translate(err, "")
	}
	if tag.String() != "COMMIT" { // an aborted transaction "commits" by rolling back
		return core.Errorf(core.CodeInternal, "postgres: the transaction was rolled back at commit (%s)", tag)
	}
	return nil
}

// inTx runs fn in one transaction and commits it, retried as retrying retries.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.retrying(ctx, func() error { return s.txOnce(ctx, fn) })
}

// retrying runs once until it succeeds or fails for good: a serialization failure, a deadlock, or a
// connection that failed before a statement was sent runs it again (a new transaction), up to UpdateRetries
// times. Other errors come back unchanged.
func (s *Store) retrying(ctx context.Context, once func() error) error {
	delay := retryBaseDelay
	for attempt := 0; ; attempt++ {
		err := once()
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

// ledgerTx is the ports.LedgerTx of one Update: a pooled connection whose transaction is begun by the
// first statement sent on it.
type ledgerTx struct {
	conn  *pgxpool.Conn
	begun bool
}

var _ ports.LedgerTx = (*ledgerTx)(nil)

// q returns the connection inside the transaction, beginning it first if nothing was sent yet.
func (t *ledgerTx) q(ctx context.Context) (querier, error) {
	if !t.begun {
		t.begun = true
		if _, err := t.conn.Exec(ctx, "begin"); err != nil {
			return nil, translate(err, "")
		}
	}
	return t.conn, nil
}

// sendBatch sends b inside the transaction. When it is the transaction's first statement, BEGIN goes first in
// the same pipeline, and its result is read here: the caller reads b's results as queued.
func (t *ledgerTx) sendBatch(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	if t.begun {
		return t.conn.SendBatch(ctx, b), nil
	}
	t.begun = true
	b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "begin"}}, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, translate(err, "")
	}
	return br, nil
}

// Conversation returns the conversation and locks its row (SELECT ... FOR UPDATE) until the transaction ends.
func (t *ledgerTx) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	q, err := t.q(ctx)
	if err != nil {
		return core.Conversation{}, err
	}
	return getConversation(ctx, q, id, true)
}

// Member returns a membership as this transaction sees it.
func (t *ledgerTx) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	q, err := t.q(ctx)
	if err != nil {
		return core.Member{}, err
	}
	return getMember(ctx, q, conversationID, userID)
}

// Message returns a message as this transaction sees it.
func (t *ledgerTx) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	q, err := t.q(ctx)
	if err != nil {
		return core.Message{}, err
	}
	return getMessage(ctx, q, conversationID, messageID)
}

// Reactions returns the tallies of messageIDs as this transaction sees them.
func (t *ledgerTx) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	q, err := t.q(ctx)
	if err != nil {
		return nil, err
	}
	return reactionsOf(ctx, q, conversationID, viewerID, messageIDs)
}

// PinCount counts the conversation's pinned messages.
func (t *ledgerTx) PinCount(ctx context.Context, conversationID string) (int, error) {
	q, err := t.q(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = q.QueryRow(ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1 AND pinned_at IS NOT NULL`,
		conversationID).Scan(&n)
	return n, translate(err, "")
}

// LoadSends locks the conversations (in the order of reads: callers sort them) and reads the batch's
// memberships (with their mutes), stored keys and replied-to messages, four statements in one pipelined round
// trip. Under READ COMMITTED each statement sees what was committed before it started, so the reads after the
// lock see every change made to the conversations by transactions that held it before.
//
// Each lookup is a LATERAL subquery with LIMIT 1 on a unique key, never a join: a join's cached generic plan,
// made while a table was small (a fresh database), hash-joins a sequential scan, and keeps doing it as the
// table grows (seen in the bench: the key lookup became the worker's hottest statement within 10 seconds). A
// subquery with a LIMIT cannot be turned into a join, so every row is an index lookup whatever the stats.
func (t *ledgerTx) LoadSends(ctx context.Context, reads []ports.SendReads) ([]core.SendState, error) {
	states := make([]core.SendState, len(reads))
	at := make(map[string]int, len(reads))
	var convIDs, memberConvs, memberUsers, keyConvs, keySenders, keyClients, replyConvs, replyIDs []string
	for i, r := range reads {
		states[i] = core.SendState{Members: map[string]bool{}, MutedUntil: map[string]time.Time{},
			Sent: map[core.SendKey]core.Message{}, Messages: map[string]bool{}}
		at[r.ConversationID] = i
		convIDs = append(convIDs, r.ConversationID)
		for _, u := range r.Senders {
			memberConvs, memberUsers = append(memberConvs, r.ConversationID), append(memberUsers, u)
		}
		for _, k := range r.Keys {
			keyConvs, keySenders = append(keyConvs, r.ConversationID), append(keySenders, k.SenderID)
			keyClients = append(keyClients, k.ClientMsgID)
		}
		for _, id := range r.ReplyTo {
			replyConvs, replyIDs = append(replyConvs, r.ConversationID), append(replyIDs, id)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT c.* FROM unnest($1::text[]) AS k (id),
		LATERAL (SELECT `+convCols+` FROM conversations c WHERE c.id = k.id LIMIT 1 FOR UPDATE) c`, convIDs).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				c, err := scanConv(rows)
				if err != nil {
					return err
				}
				st := &states[at[c.ID]]
				st.Conversation, st.Found = c, true
			}
			return rows.Err()
		})
	b.Queue(`SELECT mb.* FROM unnest($1::text[], $2::text[]) AS k (conversation_id, user_id),
		LATERAL (SELECT mb.conversation_id, mb.user_id, mb.muted_until FROM members mb
			WHERE mb.conversation_id = k.conversation_id AND mb.user_id = k.user_id LIMIT 1) mb`, memberConvs, memberUsers).
		Query(func(rows pgx.Rows) error {
			var conv, user string
			var mutedUntil *time.Time
			_, err := pgx.ForEachRow(rows, []any{&conv, &user, &mutedUntil}, func() error {
				st := &states[at[conv]]
				st.Members[user] = true
				if mutedUntil != nil {
					st.MutedUntil[user] = mutedUntil.UTC()
				}
				return nil
			})
			return err
		})
	b.Queue(`SELECT m.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k (conversation_id, sender_id, client_msg_id),
		LATERAL (SELECT `+msgCols+` FROM messages m WHERE m.conversation_id = k.conversation_id
			AND m.sender_id = k.sender_id AND m.client_msg_id = k.client_msg_id LIMIT 1) m`,
		keyConvs, keySenders, keyClients).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				m, err := scanMessage(rows)
				if err != nil {
					return err
				}
				states[at[m.ConversationID]].Sent[core.SendKey{SenderID: m.SenderID, ClientMsgID: m.ClientMsgID}] = m
			}
			return rows.Err()
		})
	if len(replyIDs) > 0 {
		b.Queue(`SELECT m.* FROM unnest($1::text[], $2::text[]) AS k (conversation_id, id),
			LATERAL (SELECT m.conversation_id, m.id FROM messages m
				WHERE m.id = k.id AND m.conversation_id = k.conversation_id LIMIT 1) m`,
			replyConvs, replyIDs).
			Query(func(rows pgx.Rows) error {
				var conv, id string
				_, err := pgx.ForEachRow(rows, []any{&conv, &id}, func() error {
					states[at[conv]].Messages[id] = true
					return nil
				})
				return err
			})
	}
	br, err := t.sendBatch(ctx, b)
	if err != nil {
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, translate(err, "")
	}
	return states, nil
}
