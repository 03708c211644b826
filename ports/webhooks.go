package ports

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
)

// ChangeFeed is the stores' durable log of appends: every LedgerTx.Append records, in its own transaction, one
// core.FeedChange per conversation it appended to. Webhooks are driven from it.
type ChangeFeed interface {
	// Changes returns up to limit changes recorded after the cursor after ("" for the start of the feed), and
	// the cursor of the last one returned (after itself when none is). A change is returned only once every
	// transaction that could record one before it has ended, so a reader that walks the feed with the cursors
	// it returns sees every committed change exactly once. The order is not seq order (on PostgreSQL it is the
	// order in which transactions began to write): readers order by conversation and seq themselves.
	Changes(ctx context.Context, after string, limit int) ([]core.FeedChange, string, error)
}

// WebhookStore keeps webhooks, their deliveries, and how far the dispatcher has read the change feed.
type WebhookStore interface {
	// CreateWebhook stores w.
	CreateWebhook(ctx context.Context, w core.Webhook) error
	// Webhook returns the webhook or core.ErrNotFound.
	Webhook(ctx context.Context, id string) (core.Webhook, error)
	// Webhooks lists webhooks by id, cursor-paged.
	Webhooks(ctx context.Context, page core.PageRequest) (core.Page[core.Webhook], error)
	// DeleteWebhook removes the webhook and its deliveries, and says whether there was one.
	DeleteWebhook(ctx context.Context, id string) (bool, error)

	// WebhookCursor returns the change-feed cursor the dispatcher has consumed up to ("" before the first).
	WebhookCursor(ctx context.Context) (string, error)
	// ConsumeChanges stores deliveries (each new, of an existing webhook) and sets the cursor, in one
	// transaction; the feed's changes up to the cursor may then be dropped.
	ConsumeChanges(ctx context.Context, cursor string, deliveries []core.WebhookDelivery) error

	// CreateDelivery stores a new delivery (a manual redelivery).
	CreateDelivery(ctx context.Context, d core.WebhookDelivery) error
	// Delivery returns the delivery or core.ErrNotFound.
	Delivery(ctx context.Context, id string) (core.WebhookDelivery, error)
	// DueDeliveries returns up to limit pending deliveries of the webhook whose NextAttemptAt is at or before
	// now, the earliest due first. (Per webhook, so that one receiver's backlog never hides another's.)
	DueDeliveries(ctx context.Context, webhookID string, now time.Time, limit int) ([]core.WebhookDelivery, error)
	// UpdateDelivery stores the outcome fields of d (Status, Attempts, NextAttemptAt, LastAttemptAt,
	// LastStatus, LastError, DeliveredAt); core.ErrNotFound if it is gone (its webhook was deleted).
	UpdateDelivery(ctx context.Context, d core.WebhookDelivery) error
	// PruneDeliveries deletes up to limit deliveries made before before that are no longer pending (delivered
	// or failed), oldest first, and says how many it deleted: the delivery log's retention.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
	// Deliveries lists a webhook's deliveries with status ("" for all), newest first (by id), cursor-paged.
	Deliveries(ctx context.Context, webhookID string, status core.DeliveryStatus, page core.PageRequest) (core.Page[core.WebhookDelivery], error)
}

// Exclusive runs work that one process of a deployment must do alone (the webhook dispatcher).
type Exclusive interface {
	// RunExclusive waits until no other process runs work of that name, then runs fn, and returns what fn
	// returns. fn's context is cancelled when exclusivity is lost (its holder's connection failed) or ctx ends.
	RunExclusive(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

// WebhookSender makes one delivery attempt over the network.
type WebhookSender interface {
	// Send POSTs body to url with headers and returns the response status (0 and an error when there was no
	// response within the sender's timeout).
	Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error)
}
