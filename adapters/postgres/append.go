package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

// Append stores events of one conversation and applies their state changes (see ports.LedgerTx.Append).
// The events are folded per table (appendplan.go) and written by one pipelined batch of multi-row
// statements inside a savepoint, so a refused Append leaves the transaction as it was. The batch's first
// statement advances the conversation only if its lastSeq is the one the events continue, which also locks
// the row.
func (t *ledgerTx) Append(ctx context.Context, events ...core.Event) error {
	if len(events) == 0 {
		return nil
	}
	p, err := planAppend(events)
	if err != nil {
		return err
	}
	steps, err := p.steps()
	if err != nil {
		return err
	}
	if err := t.write(ctx, steps); err != nil {
		undo := context.WithoutCancel(ctx) // undo even when ctx is what failed
		if _, rbErr := t.tx.Exec(undo, `ROLLBACK TO SAVEPOINT append_events; RELEASE SAVEPOINT append_events`); rbErr != nil {
			return err // the transaction is lost (Update rolls it back): report the first failure
		}
		if errors.Is(err, errNotAdvanced) {
			return t.seqError(ctx, p.convID, events[0].Seq)
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

// write sends SAVEPOINT and the steps as one pipelined batch (one round trip), checks each step's result,
// then releases the savepoint. The release is a second round trip: a row count checked here cannot stop
// the statements queued after it, so only a fully checked batch may give up the savepoint.
func (t *ledgerTx) write(ctx context.Context, steps []step) error {
	if err := t.writeBatch(ctx, steps); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `RELEASE SAVEPOINT append_events`)
	return translate(err, "")
}

func (t *ledgerTx) writeBatch(ctx context.Context, steps []step) error {
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT append_events`)
	for _, s := range steps {
		b.Queue(s.sql, s.args...)
	}
	br := t.tx.SendBatch(ctx, b)
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

// seqError explains why the conversation did not advance: it is missing, or the events do not continue it.
func (t *ledgerTx) seqError(ctx context.Context, convID string, first int64) error {
	var lastSeq int64
	err := t.tx.QueryRow(ctx, `SELECT last_seq FROM conversations WHERE id = $1`, convID).Scan(&lastSeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("conversation")
	}
	if err != nil {
		return translate(err, "conversation")
	}
	return core.Errorf(core.CodeConflict, "event seq %d does not follow lastSeq %d", first, lastSeq)
}

// steps turns the plan into statements: the conversation first (it locks the row and checks density), then
// the memberships and messages that must already exist, then the inserts.
func (p *appendPlan) steps() ([]step, error) {
	first, last := p.events[0], p.events[len(p.events)-1]
	var title, titleLower, topic *string
	if c := p.conv; c != nil {
		lower := strings.ToLower(c.Title)
		title, titleLower, topic = &c.Title, &lower, &c.Topic
	}
	steps := []step{{what: "conversation", sql: `UPDATE conversations SET last_seq = $3, last_activity_at = $4,
		title = coalesce($5, title), title_lower = coalesce($6, title_lower), topic = coalesce($7, topic)
		WHERE id = $1 AND last_seq = $2`,
		args: []any{p.convID, first.Seq - 1, last.Seq, ts(last.At), title, titleLower, topic}, want: 1,
		fail: errNotAdvanced}}
	steps = append(steps, p.memberSteps()...)
	steps = append(steps, p.messageSteps()...)
	data, err := p.eventColumns()
	if err != nil {
		return nil, err
	}
	return append(steps, step{what: "event", sql: `INSERT INTO events (conversation_id, seq, type, at, actor_id, data)
		SELECT $1::text, * FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::jsonb[])`,
		args: append([]any{p.convID}, data...), want: -1}), nil
}

// eventColumns returns the events as column arrays: seq, type, at, actor, data.
func (p *appendPlan) eventColumns() ([]any, error) {
	n := len(p.events)
	seqs, types, ats, actors, data := make([]int64, n), make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n)
	for i, e := range p.events {
		d, err := encodeEventData(e)
		if err != nil {
			return nil, core.Wrap(core.CodeInternal, err, "cannot encode event")
		}
		seqs[i], types[i], ats[i], actors[i], data[i] = e.Seq, string(e.Type), ts(e.At), e.ActorID, d
	}
	return []any{seqs, types, ats, actors, data}, nil
}
