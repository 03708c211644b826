package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.ChangeFeed   = (*Store)(nil)
	_ ports.WebhookStore = (*Store)(nil)
)

// Changes returns the feed's rows after the cursor in (xid, id) order, only those of transactions below the
// oldest one still running (pg_snapshot_xmin): they have all ended, so no row can ever be committed behind
// them, while a transaction still open holds back every row after its own, committed or not. A transaction
// left open (idle in transaction) therefore stalls the feed of the whole cluster until it ends.
//
// xid order is not quite the order of a conversation's seqs: a transaction takes its xid at its first write or
// row lock, which may come before it locks the conversation it appends to. One that took its xid, then waited
// for a conversation while a younger transaction appended to it and committed, appends the later seqs under
// the older xid, and its change comes first.
//
// A cursor is "xid:id", in decimal; "" is the start.
func (s *Store) Changes(ctx context.Context, after string, limit int) ([]core.FeedChange, string, error) {
	if limit < 1 {
		return nil, "", core.Invalid("limit", "limit must be positive")
	}
	xid, id, err := parseFeedCursor(after)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT f.xid, f.id, f.conversation_id, f.first_seq, f.last_seq FROM change_feed f
		WHERE (f.xid, f.id) > ($1::xid8, $2) AND f.xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY f.xid, f.id LIMIT $3`, xid, id, limit)
	if err != nil {
		return nil, "", translate(err, "")
	}
	defer rows.Close()
	changes, cursor := []core.FeedChange{}, after
	for rows.Next() {
		var c core.FeedChange
		if err := rows.Scan(&xid, &id, &c.ConversationID, &c.FirstSeq, &c.LastSeq); err != nil {
			return nil, "", translate(err, "")
		}
		changes, cursor = append(changes, c), strconv.FormatUint(xid, 10)+":"+strconv.FormatInt(id, 10)
	}
	if err := rows.Err(); err != nil {
		return nil, "", translate(err, "")
	}
	return changes, cursor, nil
}

// parseFeedCursor reads a cursor of Changes; "" is (0, 0), before every row.
func parseFeedCursor(cursor string) (xid uint64, id int64, err error) {
	if cursor == "" {
		return 0, 0, nil
	}
	x, i, ok := strings.Cut(cursor, ":")
	if ok {
		if xid, err = strconv.ParseUint(x, 10, 64); err == nil {
			id, err = strconv.ParseInt(i, 10, 64)
		}
	}
	if !ok || err != nil || id < 0 {
		return 0, 0, core.Invalid("cursor", "malformed change feed cursor")
	}
	return xid, id, nil
}

const webhookCols = `id, url, events, description, secret, created_at`

func scanWebhook(r scanner) (core.Webhook, error) {
	var w core.Webhook
	var events []byte
	if err := r.Scan(&w.ID, &w.URL, &events, &w.Description, &w.Secret, &w.CreatedAt); err != nil {
		return w, err
	}
	w.CreatedAt = w.CreatedAt.UTC()
	if err := json.Unmarshal(events, &w.Events); err != nil {
		return w, fmt.Errorf("webhook %s: bad events: %w", w.ID, err)
	}
	return w, nil
}

// CreateWebhook stores w; a taken id is core.ErrAlreadyExists.
func (s *Store) CreateWebhook(ctx context.Context, w core.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return core.Wrap(core.CodeInternal, err, "cannot encode webhook events")
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO webhooks (`+webhookCols+`) VALUES ($1, $2, $3::jsonb, $4, $5, $6)`,
		w.ID, w.URL, string(events), w.Description, w.Secret, ts(w.CreatedAt))
	return translate(err, "webhook")
}

// Webhook returns the webhook or core.ErrNotFound.
func (s *Store) Webhook(ctx context.Context, id string) (core.Webhook, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = $1`, id))
	return w, translate(err, "webhook")
}

// Webhooks lists the webhooks by id.
func (s *Store) Webhooks(ctx context.Context, page core.PageRequest) (core.Page[core.Webhook], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Webhook]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Webhook]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	items, err := queryAll(ctx, s.pool, scanWebhook, `SELECT `+webhookCols+` FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2`,
		after[0], limit+1)
	if err != nil {
		return core.Page[core.Webhook]{}, err
	}
	return pageOf(items, limit, func(w core.Webhook) []string { return []string{w.ID} }), nil
}

// DeleteWebhook removes the webhook, its deliveries with it (the foreign key cascades), and says whether there
// was one.
func (s *Store) DeleteWebhook(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return false, translate(err, "webhook")
	}
	return tag.RowsAffected() > 0, nil
}

// WebhookCursor returns the stored change-feed cursor, "" when none is.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	var cursor string
	err := s.pool.QueryRow(ctx, `SELECT feed_cursor FROM webhook_state`).Scan(&cursor)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return cursor, translate(err, "")
}

// ConsumeChanges stores the deliveries and the cursor, and deletes the feed's rows up to the cursor, in one
// transaction of one pipelined batch. Deliveries of a webhook deleted since the dispatcher read it are
// dropped, as its deliveries were; one being deleted meanwhile makes the insert fail on the foreign key
// (core.ErrNotFound), and the dispatcher tries again.
func (s *Store) ConsumeChanges(ctx context.Context, cursor string, deliveries []core.WebhookDelivery) error {
	xid, id, err := parseFeedCursor(cursor)
	if err != nil {
		return err
	}
	columns := deliveryColumns(deliveries)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if len(deliveries) > 0 {
			b.Queue(`INSERT INTO webhook_deliveries (`+deliveryCols+`)
				SELECT v.* FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bytea[], $7::text[],
					$8::integer[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::integer[], $13::text[],
					$14::timestamptz[], $15::text[]) AS v (`+deliveryCols+`)
				WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.id = v.webhook_id)`, columns...)
		}
		b.Queue(`INSERT INTO webhook_state (feed_cursor) VALUES ($1)
			ON CONFLICT (singleton) DO UPDATE SET feed_cursor = excluded.feed_cursor`, cursor)
		b.Queue(`DELETE FROM change_feed WHERE (xid, id) <= ($1::xid8, $2)`, xid, id)
		return translate(tx.SendBatch(ctx, b).Close(), "webhook delivery")
	})
}

const deliveryCols = `id, webhook_id, conversation_id, seq, event_type, payload, status, attempts, created_at,
	next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, redelivery_of`

func scanDelivery(r scanner) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	err := r.Scan(&d.ID, &d.WebhookID, &d.ConversationID, &d.Seq, &d.EventType, &d.Payload, &d.Status, &d.Attempts,
		&d.CreatedAt, &d.NextAttemptAt, &d.LastAttemptAt, &d.LastStatus, &d.LastError, &d.DeliveredAt, &d.RedeliveryOf)
	d.CreatedAt, d.NextAttemptAt = d.CreatedAt.UTC(), d.NextAttemptAt.UTC()
	d.LastAttemptAt, d.DeliveredAt = utcPtr(d.LastAttemptAt), utcPtr(d.DeliveredAt)
	return d, err
}

// deliveryColumns turns deliveries into one array per column of deliveryCols, for unnest.
func deliveryColumns(ds []core.WebhookDelivery) []any {
	n := len(ds)
	ids, hooks, convs, types, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	errs, redeliveries := make([]string, n), make([]string, n)
	seqs, payloads := make([]int64, n), make([][]byte, n)
	attempts, lastStatuses := make([]int, n), make([]int, n)
	created, next := make([]time.Time, n), make([]time.Time, n)
	lastAttempts, delivered := make([]*time.Time, n), make([]*time.Time, n)
	for i, d := range ds {
		ids[i], hooks[i], convs[i], seqs[i], types[i] = d.ID, d.WebhookID, d.ConversationID, d.Seq, string(d.EventType)
		payloads[i], statuses[i], attempts[i], created[i] = d.Payload, string(d.Status), d.Attempts, ts(d.CreatedAt)
		next[i], lastAttempts[i], lastStatuses[i], errs[i] = ts(d.NextAttemptAt), tsPtr(d.LastAttemptAt), d.LastStatus, d.LastError
		delivered[i], redeliveries[i] = tsPtr(d.DeliveredAt), d.RedeliveryOf
	}
	return []any{ids, hooks, convs, seqs, types, payloads, statuses, attempts, created, next, lastAttempts, lastStatuses, errs,
		delivered, redeliveries}
}

// CreateDelivery stores a new delivery; a taken id is core.ErrAlreadyExists, a missing webhook
// core.ErrNotFound (the foreign key).
func (s *Store) CreateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		d.ID, d.WebhookID, d.ConversationID, d.Seq, string(d.EventType), d.Payload, string(d.Status), d.Attempts,
		ts(d.CreatedAt), ts(d.NextAttemptAt), tsPtr(d.LastAttemptAt), d.LastStatus, d.LastError, tsPtr(d.DeliveredAt),
		d.RedeliveryOf)
	return translate(err, "webhook delivery")
}

// Delivery returns the delivery or core.ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id string) (core.WebhookDelivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = $1`, id))
	return d, translate(err, "webhook delivery")
}

// DueDeliveries reads the webhook's pending deliveries due at now, the earliest first, on the partial index of pending
// ones.
func (s *Store) DueDeliveries(ctx context.Context, webhookID string, now time.Time, limit int) ([]core.WebhookDelivery, error) {
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	return queryAll(ctx, s.pool, scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries
		WHERE webhook_id = $1 AND status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
		webhookID, ts(now), limit)
}

// PruneDeliveries deletes up to limit settled deliveries made before before, oldest first (on
// webhook_deliveries_created).
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, core.Invalid("limit", "limit must be positive")
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE created_at < $1 AND status <> 'pending' ORDER BY created_at LIMIT $2)`, ts(before), limit)
	if err != nil {
		return 0, translate(err, "")
	}
	return int(tag.RowsAffected()), nil
}

// UpdateDelivery stores the outcome fields of d; core.ErrNotFound when the delivery is gone.
func (s *Store) UpdateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4,
		last_attempt_at = $5, last_status = $6, last_error = $7, delivered_at = $8 WHERE id = $1`,
		d.ID, string(d.Status), d.Attempts, ts(d.NextAttemptAt), tsPtr(d.LastAttemptAt), d.LastStatus, d.LastError,
		tsPtr(d.DeliveredAt))
	if err != nil {
		return translate(err, "webhook delivery")
	}
	if tag.RowsAffected() == 0 {
		return notFound("webhook delivery")
	}
	return nil
}

// Deliveries lists a webhook's deliveries with the status ("" for all), newest first (by id, which is
// time-ordered).
func (s *Store) Deliveries(ctx context.Context, webhookID string, status core.DeliveryStatus, page core.PageRequest) (core.Page[core.WebhookDelivery], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	before, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	// The statement names only the filters that are set, so that its plan walks one index backwards (a generic
	// plan of a clause that ORs out an empty filter uses none): four statements in all.
	conds, args := []string{"webhook_id = $1"}, []any{webhookID}
	if status != "" {
		args = append(args, string(status))
		conds = append(conds, "status = $"+strconv.Itoa(len(args)))
	}
	if before != nil {
		args = append(args, before[0])
		conds = append(conds, "id < $"+strconv.Itoa(len(args)))
	}
	args = append(args, limit+1)
	items, err := queryAll(ctx, s.pool, scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE `+
		strings.Join(conds, " AND ")+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	return pageOf(items, limit, func(d core.WebhookDelivery) []string { return []string{d.ID} }), nil
}
