package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

// Append stores events of one or more conversations and applies their state changes (see
// ports.LedgerTx.Append). Each conversation's events are folded per table (appendplan.go); the statements of
// all of them — one per table for the conversations, new messages, events and the change feed, one per kind
// of change for the rest — go in one pipelined batch inside a savepoint, so a refused Append leaves the
// transaction as it was. The batch's first statement advances every conversation only if its lastSeq is the
// one its events continue, which also locks the rows.
func (t *ledgerTx) Append(ctx context.Context, events ...core.Event) error {
	if len(events) == 0 {
		return nil
	}
	groups := core.GroupByConversation(events)
	plans := make([]*appendPlan, len(groups))
	for i, g := range groups {
		p, err := planAppend(g)
		if err != nil {
			return err
		}
		plans[i] = p
	}
	steps, err := appendSteps(plans)
	if err != nil {
		return err
	}
	if err := t.write(ctx, steps); err != nil {
		undo := context.WithoutCancel(ctx) // undo even when ctx is what failed
		if _, rbErr := t.conn.Exec(undo, `ROLLBACK TO SAVEPOINT append_events; RELEASE SAVEPOINT append_events`); rbErr != nil {
			return err // the transaction is lost (Update rolls it back): report the first failure
		}
		if errors.Is(err, errNotAdvanced) {
			return t.seqError(ctx, plans)
		}
		return err
	}
	return nil
}

// errNotAdvanced reports that the conversation row did not match: it is missing, or its lastSeq is not the
// one the events continue. Append replaces it with the precise error.
var errNotAdvanced = core.Errorf(core.CodeConflict, "conversation did not advance")

// step is one statement of an Append: what it writes (for error messages) and the number of rows it must
// affect (-1: any), else fail.
type step struct {
	what string
	sql  string
	args []any
	want int64
	fail error
}

// write sends SAVEPOINT and the steps as one pipelined batch (one round trip) and checks each step's result.
// The savepoint is left for COMMIT to release: a row count checked here cannot stop the statements queued
// after it, so a refused Append rolls back to it, and releasing it on success would cost a round trip.
// A later Append in the same transaction sets a new savepoint of the same name, which then shadows this one.
func (t *ledgerTx) write(ctx context.Context, steps []step) error {
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT append_events`)
	for _, s := range steps {
		b.Queue(s.sql, s.args...)
	}
	br, err := t.sendBatch(ctx, b)
	if err != nil {
		return err
	}
	defer func() { _ = br.Close() }()
	if _, err := br.Exec(); err != nil {
		return translate(err, "")
	}
	for _, s := range steps {
		tag, err := br.Exec()
		if err != nil {
			return translate(err, s.what)
		}
		if s.want >= 0 && tag.RowsAffected() != s.want {
			return s.fail
		}
	}
	return translate(br.Close(), "")
}

// seqError explains why a conversation did not advance: it is missing, or its events do not continue it.
func (t *ledgerTx) seqError(ctx context.Context, plans []*appendPlan) error {
	for _, p := range plans {
		var lastSeq int64
		err := t.conn.QueryRow(ctx, `SELECT last_seq FROM conversations WHERE id = $1`, p.convID).Scan(&lastSeq)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("conversation")
		}
		if err != nil {
			return translate(err, "conversation")
		}
		if first := p.events[0].Seq; first != lastSeq+1 {
			return core.Errorf(core.CodeConflict, "event seq %d does not follow lastSeq %d", first, lastSeq)
		}
	}
	return errNotAdvanced // another transaction moved a conversation in between: the caller's retry sees it
}

// appendSteps turns the plans into statements: the conversations first (it locks the rows and checks
// density), then the memberships and messages that must already exist, then the inserts, the change feed's
// last.
func appendSteps(plans []*appendPlan) ([]step, error) {
	n := len(plans)
	ids, prev, last, at := make([]string, n), make([]int64, n), make([]int64, n), make([]time.Time, n)
	titles, lowers, topics := make([]*string, n), make([]*string, n), make([]*string, n)
	slows := make([]*int64, n)
	for i, p := range plans {
		first, end := p.events[0], p.events[len(p.events)-1]
		ids[i], prev[i], last[i], at[i] = p.convID, first.Seq-1, end.Seq, ts(end.At)
		if c := p.conv; c != nil {
			lower, slow := strings.ToLower(c.Title), toSeconds(c.SlowMode)
			titles[i], lowers[i], topics[i], slows[i] = &c.Title, &lower, &c.Topic, &slow
		}
	}
	steps := []step{{what: "conversation", sql: `UPDATE conversations c SET last_seq = v.last_seq,
		last_activity_at = v.at, title = coalesce(v.title, c.title), title_lower = coalesce(v.title_lower, c.title_lower),
		topic = coalesce(v.topic, c.topic), slow_mode_seconds = coalesce(v.slow_mode_seconds, c.slow_mode_seconds)
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
			$8::integer[]) AS v (id, prev_seq, last_seq, at, title, title_lower, topic, slow_mode_seconds)
		WHERE c.id = v.id AND c.last_seq = v.prev_seq`,
		args: []any{ids, prev, last, at, titles, lowers, topics, slows}, want: int64(n), fail: errNotAdvanced}}
	for _, p := range plans {
		steps = append(steps, p.memberSteps()...)
		edits, err := p.editSteps()
		if err != nil {
			return nil, err
		}
		steps = append(steps, edits...)
	}
	if s, ok, err := insertMessagesStep(plans); err != nil {
		return nil, err
	} else if ok {
		steps = append(steps, s)
	}
	for _, p := range plans {
		steps = append(steps, p.reactionSteps()...)
	}
	s, err := insertEventsStep(plans)
	if err != nil {
		return nil, err
	}
	return append(steps, s, insertFeedStep(ids, prev, last)), nil
}

// insertFeedStep records the Append in the change feed, one row per conversation with the seqs of its first
// and last event (prev+1 and last), in one statement; the rows take the transaction's id by default.
func insertFeedStep(ids []string, prev, last []int64) step {
	return step{what: "change feed", sql: `INSERT INTO change_feed (conversation_id, first_seq, last_seq)
		SELECT v.id, v.prev_seq + 1, v.last_seq FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v (id, prev_seq, last_seq)`,
		args: []any{ids, prev, last}, want: -1}
}

// insertEventsStep inserts the events of every plan in one statement.
func insertEventsStep(plans []*appendPlan) (step, error) {
	var convs, types, actors, data []string
	var seqs []int64
	var ats []time.Time
	for _, p := range plans {
		for _, e := range p.events {
			d, err := encodeEventData(e)
			if err != nil {
				return step{}, core.Wrap(core.CodeInternal, err, "cannot encode event")
			}
			convs, seqs, types = append(convs, p.convID), append(seqs, e.Seq), append(types, string(e.Type))
			ats, actors, data = append(ats, ts(e.At)), append(actors, e.ActorID), append(data, d)
		}
	}
	return step{what: "event", sql: `INSERT INTO events (conversation_id, seq, type, at, actor_id, data)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::jsonb[])`,
		args: []any{convs, seqs, types, ats, actors, data}, want: -1}, nil
}
