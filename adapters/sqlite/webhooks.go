package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/feedcursor"
	"github.com/scalechat/scalechat/core"
)

// Changes returns the feed's rows after the cursor, by id: SQLite has one writer, so a row is committed with
// every row of a smaller id, and none can be committed behind one already read. A cursor is the last id read,
// in decimal; "" is the start.
func (s *Store) Changes(ctx context.Context, after string, limit int) ([]core.FeedChange, string, error) {
	if limit < 1 {
		return nil, "", core.Invalid("limit", "limit must be positive")
	}
	id, err := feedcursor.Parse(after)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, conversation_id, first_seq, last_seq FROM change_feed WHERE id > ?
		ORDER BY id LIMIT ?`, id, limit)
	if err != nil {
		return nil, "", translate(err, "")
	}
	defer rows.Close()
	changes, cursor := []core.FeedChange{}, after
	for rows.Next() {
		var c core.FeedChange
		if err := rows.Scan(&id, &c.ConversationID, &c.FirstSeq, &c.LastSeq); err != nil {
			return nil, "", translate(err, "")
		}
		changes, cursor = append(changes, c), feedcursor.Format(id)
	}
	if err := rows.Err(); err != nil {
		return nil, "", translate(err, "")
	}
	return changes, cursor, nil
}

// RunExclusive runs fn: a SQLite database belongs to the one process of a standalone deployment, so there is no
// other to exclude. (Two processes could open one file, but that deployment is not supported.)
func (s *Store) RunExclusive(ctx context.Context, _ string, fn func(ctx context.Context) error) error {
	return fn(ctx)
}

const webhookCols = `id, url, events, description, secret, created_at`

func scanWebhook(r scanner) (core.Webhook, error) {
	var w core.Webhook
	var events string
	var created int64
	if err := r.Scan(&w.ID, &w.URL, &events, &w.Description, &w.Secret, &created); err != nil {
		return w, err
	}
	w.CreatedAt = fromMS(created)
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
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
	_, err = s.w.ExecContext(ctx, `INSERT INTO webhooks (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		w.ID, w.URL, string(events), w.Description, w.Secret, toMS(w.CreatedAt))
	return translate(err, "webhook")
}

// Webhook returns the webhook or core.ErrNotFound.
func (s *Store) Webhook(ctx context.Context, id string) (core.Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, id))
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
	items, err := queryAll(ctx, s.r, scanWebhook, `SELECT `+webhookCols+` FROM webhooks WHERE id > ? ORDER BY id LIMIT ?`,
		after[0], limit+1)
	if err != nil {
		return core.Page[core.Webhook]{}, err
	}
	return pageOf(items, limit, func(w core.Webhook) []string { return []string{w.ID} }), nil
}

// DeleteWebhook removes the webhook, its deliveries with it (the foreign key cascades), and says whether there
// was one.
func (s *Store) DeleteWebhook(ctx context.Context, id string) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return false, translate(err, "webhook")
	}
	n, err := res.RowsAffected()
	return n > 0, translate(err, "webhook")
}

// WebhookCursor returns the stored change-feed cursor, "" when none is.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	var cursor string
	err := s.r.QueryRowContext(ctx, `SELECT feed_cursor FROM webhook_state`).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return cursor, translate(err, "")
}

// ConsumeChanges stores the deliveries and the cursor, and deletes the feed's rows up to the cursor, in one
// transaction. Deliveries of a webhook deleted since the dispatcher read it are dropped, as its deliveries
// were.
func (s *Store) ConsumeChanges(ctx context.Context, cursor string, deliveries []core.WebhookDelivery) error {
	upTo, err := feedcursor.Parse(cursor)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *txn) error {
		for _, d := range deliveries {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
				SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)`,
				append(deliveryArgs(d), d.WebhookID)...); err != nil {
				return translate(err, "webhook delivery")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_state (singleton, feed_cursor) VALUES (1, ?)
			ON CONFLICT (singleton) DO UPDATE SET feed_cursor = excluded.feed_cursor`, cursor); err != nil {
			return translate(err, "")
		}
		// The row at the cursor stays: the feed's ids are rowids (max + 1), so the highest row read must remain
		// for the next one to get a greater id (see the migration).
		_, err := tx.ExecContext(ctx, `DELETE FROM change_feed WHERE id < ?`, upTo)
		return translate(err, "")
	})
}

const deliveryCols = `id, webhook_id, conversation_id, seq, event_type, payload, status, attempts, created_at,
	next_attempt_at, last_attempt_at, last_status, last_error, delivered_at, redelivery_of`

func scanDelivery(r scanner) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	var created, next int64
	var lastAttempt, delivered sql.NullInt64
	err := r.Scan(&d.ID, &d.WebhookID, &d.ConversationID, &d.Seq, &d.EventType, &d.Payload, &d.Status, &d.Attempts,
		&created, &next, &lastAttempt, &d.LastStatus, &d.LastError, &delivered, &d.RedeliveryOf)
	d.CreatedAt, d.NextAttemptAt, d.LastAttemptAt, d.DeliveredAt = fromMS(created), fromMS(next), fromMSPtr(lastAttempt),
		fromMSPtr(delivered)
	return d, err
}

// deliveryArgs are d's values in the order of deliveryCols.
func deliveryArgs(d core.WebhookDelivery) []any {
	return []any{d.ID, d.WebhookID, d.ConversationID, d.Seq, string(d.EventType), d.Payload, string(d.Status), d.Attempts,
		toMS(d.CreatedAt), toMS(d.NextAttemptAt), toMSPtr(d.LastAttemptAt), d.LastStatus, d.LastError,
		toMSPtr(d.DeliveredAt), d.RedeliveryOf}
}

// CreateDelivery stores a new delivery; a taken id is core.ErrAlreadyExists, a missing webhook
// core.ErrNotFound (the foreign key).
func (s *Store) CreateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, deliveryArgs(d)...)
	return translate(err, "webhook delivery")
}

// Delivery returns the delivery or core.ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id string) (core.WebhookDelivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`, id))
	return d, translate(err, "webhook delivery")
}

// DueDeliveries reads the webhook's pending deliveries due at now, the earliest first, on the partial index of pending
// ones.
func (s *Store) DueDeliveries(ctx context.Context, webhookID string, now time.Time, limit int) ([]core.WebhookDelivery, error) {
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	return queryAll(ctx, s.r, scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries
		WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
		webhookID, toMS(now), limit)
}

// PruneDeliveries deletes up to limit settled deliveries made before before, oldest first (on
// webhook_deliveries_created).
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, core.Invalid("limit", "limit must be positive")
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE created_at < ? AND status <> 'pending' ORDER BY created_at LIMIT ?)`, toMS(before), limit)
	if err != nil {
		return 0, translate(err, "")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// UpdateDelivery stores the outcome fields of d; core.ErrNotFound when the delivery is gone.
func (s *Store) UpdateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	res, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
		last_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?`,
		string(d.Status), d.Attempts, toMS(d.NextAttemptAt), toMSPtr(d.LastAttemptAt), d.LastStatus, d.LastError,
		toMSPtr(d.DeliveredAt), d.ID)
	if err != nil {
		return translate(err, "webhook delivery")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "webhook delivery")
	}
	if n == 0 {
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
	// The statement names only the filters that are set, so that SQLite walks one index backwards (a clause
	// that ORs out an empty filter uses none): four statements to prepare.
	conds, args := []string{"webhook_id = ?"}, []any{webhookID}
	if status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(status))
	}
	if before != nil {
		conds, args = append(conds, "id < ?"), append(args, before[0])
	}
	items, err := queryAll(ctx, s.r, scanDelivery, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE `+
		strings.Join(conds, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	return pageOf(items, limit, func(d core.WebhookDelivery) []string { return []string{d.ID} }), nil
}
