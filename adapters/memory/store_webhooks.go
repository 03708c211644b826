package memory

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/feedcursor"
	"github.com/scalechat/scalechat/core"
)

// feedRow is one change of the feed, numbered when its transaction commits: transactions commit one at a time,
// so id order is commit order.
type feedRow struct {
	id     int64
	change core.FeedChange
}

// Changes returns the feed's changes after the cursor, by id; a cursor is the last id read, in decimal ("" is
// the start).
func (s *Store) Changes(ctx context.Context, after string, limit int) ([]core.FeedChange, string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, "", err
	}
	if limit < 1 {
		return nil, "", core.Invalid("limit", "limit must be positive")
	}
	id, err := feedcursor.Parse(after)
	if err != nil {
		return nil, "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := s.d.feed[sort.Search(len(s.d.feed), func(i int) bool { return s.d.feed[i].id > id }):]
	rows = rows[:min(limit, len(rows))]
	changes, cursor := make([]core.FeedChange, len(rows)), after
	for i, r := range rows {
		changes[i], cursor = r.change, feedcursor.Format(r.id)
	}
	return changes, cursor, nil
}

// RunExclusive runs fn: the store belongs to one process, so there is no other to exclude.
func (s *Store) RunExclusive(ctx context.Context, _ string, fn func(ctx context.Context) error) error {
	return fn(ctx)
}

func cloneWebhook(w core.Webhook) core.Webhook {
	w.Events = slices.Clone(w.Events)
	return w
}

func cloneDelivery(d core.WebhookDelivery) core.WebhookDelivery {
	d.Payload = slices.Clone(d.Payload)
	d.LastAttemptAt, d.DeliveredAt = clonePtr(d.LastAttemptAt), clonePtr(d.DeliveredAt)
	return d
}

// CreateWebhook stores w.
func (s *Store) CreateWebhook(ctx context.Context, w core.Webhook) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.webhooks[w.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "webhook already exists")
	}
	s.d.webhooks[w.ID] = cloneWebhook(w)
	return nil
}

// Webhook returns the webhook.
func (s *Store) Webhook(ctx context.Context, id string) (core.Webhook, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Webhook{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.d.webhooks[id]
	if !ok {
		return core.Webhook{}, core.Errorf(core.CodeNotFound, "webhook not found")
	}
	return cloneWebhook(w), nil
}

// Webhooks lists the webhooks by id.
func (s *Store) Webhooks(ctx context.Context, page core.PageRequest) (core.Page[core.Webhook], error) {
	s.mu.RLock()
	all := make([]core.Webhook, 0, len(s.d.webhooks))
	for _, w := range s.d.webhooks {
		all = append(all, cloneWebhook(w))
	}
	s.mu.RUnlock()
	return pageBy(ctx, all, page, func(w core.Webhook) string { return w.ID }, false)
}

// DeleteWebhook removes the webhook and its deliveries, saying whether there was one.
func (s *Store) DeleteWebhook(ctx context.Context, id string) (bool, error) {
	if err := checkCtx(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.webhooks[id]; !ok {
		return false, nil
	}
	delete(s.d.webhooks, id)
	for did, d := range s.d.deliveries {
		if d.WebhookID == id {
			delete(s.d.deliveries, did)
		}
	}
	return true, nil
}

// WebhookCursor returns the stored change-feed cursor.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	if err := checkCtx(ctx); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.d.feedCursor, nil
}

// ConsumeChanges stores the deliveries and the cursor and drops the feed's changes up to it, all at once under
// the lock; a taken delivery id changes nothing. Deliveries of a webhook deleted since the dispatcher read it
// are dropped, as its deliveries were.
func (s *Store) ConsumeChanges(ctx context.Context, cursor string, deliveries []core.WebhookDelivery) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	upTo, err := feedcursor.Parse(cursor)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]bool{}
	for _, d := range deliveries {
		if _, ok := s.d.deliveries[d.ID]; ok || ids[d.ID] {
			return core.Errorf(core.CodeAlreadyExists, "webhook delivery already exists")
		}
		ids[d.ID] = true
	}
	for _, d := range deliveries {
		if _, ok := s.d.webhooks[d.WebhookID]; ok {
			s.d.deliveries[d.ID] = cloneDelivery(d)
		}
	}
	s.d.feedCursor = cursor
	s.d.feed = s.d.feed[sort.Search(len(s.d.feed), func(i int) bool { return s.d.feed[i].id > upTo }):]
	return nil
}

// CreateDelivery stores a new delivery of an existing webhook.
func (s *Store) CreateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.webhooks[d.WebhookID]; !ok {
		return core.Errorf(core.CodeNotFound, "webhook not found")
	}
	if _, ok := s.d.deliveries[d.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "webhook delivery already exists")
	}
	s.d.deliveries[d.ID] = cloneDelivery(d)
	return nil
}

// Delivery returns the delivery.
func (s *Store) Delivery(ctx context.Context, id string) (core.WebhookDelivery, error) {
	if err := checkCtx(ctx); err != nil {
		return core.WebhookDelivery{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.d.deliveries[id]
	if !ok {
		return core.WebhookDelivery{}, core.Errorf(core.CodeNotFound, "webhook delivery not found")
	}
	return cloneDelivery(d), nil
}

// DueDeliveries returns the webhook's pending deliveries due at now, the earliest first (then by id).
func (s *Store) DueDeliveries(ctx context.Context, webhookID string, now time.Time, limit int) ([]core.WebhookDelivery, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	s.mu.RLock()
	var due []core.WebhookDelivery
	for _, d := range s.d.deliveries {
		if d.WebhookID == webhookID && d.Status == core.DeliveryPending && !d.NextAttemptAt.After(now) {
			due = append(due, cloneDelivery(d))
		}
	}
	s.mu.RUnlock()
	sort.Slice(due, func(i, j int) bool {
		if a, b := due[i].NextAttemptAt, due[j].NextAttemptAt; !a.Equal(b) {
			return a.Before(b)
		}
		return due[i].ID < due[j].ID
	})
	return due[:min(limit, len(due))], nil
}

// PruneDeliveries deletes up to limit settled deliveries made before before, oldest first.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	if limit < 1 {
		return 0, core.Invalid("limit", "limit must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []core.WebhookDelivery
	for _, d := range s.d.deliveries {
		if d.Status != core.DeliveryPending && d.CreatedAt.Before(before) {
			old = append(old, d)
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].CreatedAt.Before(old[j].CreatedAt) })
	old = old[:min(limit, len(old))]
	for _, d := range old {
		delete(s.d.deliveries, d.ID)
	}
	return len(old), nil
}

// UpdateDelivery stores the outcome fields of d.
func (s *Store) UpdateDelivery(ctx context.Context, d core.WebhookDelivery) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.d.deliveries[d.ID]
	if !ok {
		return core.Errorf(core.CodeNotFound, "webhook delivery not found")
	}
	cur.Status, cur.Attempts, cur.NextAttemptAt = d.Status, d.Attempts, d.NextAttemptAt
	cur.LastAttemptAt, cur.LastStatus, cur.LastError = clonePtr(d.LastAttemptAt), d.LastStatus, d.LastError
	cur.DeliveredAt = clonePtr(d.DeliveredAt)
	s.d.deliveries[d.ID] = cur
	return nil
}

// Deliveries lists a webhook's deliveries with the status ("" for all), newest first.
func (s *Store) Deliveries(ctx context.Context, webhookID string, status core.DeliveryStatus, page core.PageRequest) (core.Page[core.WebhookDelivery], error) {
	s.mu.RLock()
	var all []core.WebhookDelivery
	for _, d := range s.d.deliveries {
		if d.WebhookID == webhookID && (status == "" || d.Status == status) {
			all = append(all, cloneDelivery(d))
		}
	}
	s.mu.RUnlock()
	return pageBy(ctx, all, page, func(d core.WebhookDelivery) string { return d.ID }, true)
}
