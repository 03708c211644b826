package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// Webhook is a subscription to events, as the admin API shows it (never its secret, except once in
// CreatedWebhook).
type Webhook struct {
	ID          string    `json:"id" doc:"Webhook id."`
	URL         string    `json:"url" doc:"Where deliveries are POSTed."`
	Events      []string  `json:"events" nullable:"false" doc:"The event types delivered (\"*\": every one)."`
	Description string    `json:"description,omitempty" doc:"What it is for."`
	CreatedAt   time.Time `json:"createdAt" doc:"When it was created (RFC 3339, UTC)."`
}

// CreatedWebhook is a webhook just created, with its signing secret, shown this once.
type CreatedWebhook struct {
	Webhook Webhook `json:"webhook"`
	Secret  string  `json:"secret" doc:"The signing secret: each delivery's Scalechat-Webhook-Signature is v1=hex(HMAC-SHA256(secret, timestamp + \".\" + body)). Shown only in this response."`
}

// WebhookList is a page of webhooks.
type WebhookList struct {
	Items []Webhook `json:"items" nullable:"false" doc:"Webhooks by id."`
	Next  string    `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// WebhookDelivery is one event sent (or to be sent) to a webhook, and how its attempts went.
type WebhookDelivery struct {
	ID             string     `json:"id" doc:"Delivery id (UUIDv7), sent as Scalechat-Delivery-Id."`
	WebhookID      string     `json:"webhookId" doc:"Webhook id."`
	ConversationID string     `json:"conversationId" doc:"The event's conversation."`
	Seq            int64      `json:"seq" doc:"The event's seq: with conversationId, what a receiver dedupes on."`
	EventType      string     `json:"eventType" doc:"The event's type."`
	Status         string     `json:"status" enum:"pending,delivered,failed" doc:"pending: waiting for an attempt; delivered: answered 2xx; failed: retried for the whole retry period without success."`
	Attempts       int        `json:"attempts" doc:"Attempts made."`
	CreatedAt      time.Time  `json:"createdAt" doc:"When the delivery was made (RFC 3339, UTC)."`
	NextAttemptAt  *time.Time `json:"nextAttemptAt,omitempty" doc:"Pending: when the next attempt is due."`
	LastAttemptAt  *time.Time `json:"lastAttemptAt,omitempty" doc:"When the last attempt ended."`
	LastStatus     int        `json:"lastStatus,omitempty" doc:"The HTTP status of the last attempt; absent when there was no answer."`
	LastError      string     `json:"lastError,omitempty" doc:"Why the last attempt failed."`
	DeliveredAt    *time.Time `json:"deliveredAt,omitempty" doc:"When the receiver answered 2xx."`
	RedeliveryOf   string     `json:"redeliveryOf,omitempty" doc:"A manual redelivery: the delivery it repeats."`
}

// WebhookDeliveryList is a page of the delivery log.
type WebhookDeliveryList struct {
	Items []WebhookDelivery `json:"items" nullable:"false" doc:"Deliveries, newest first."`
	Next  string            `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// CreateWebhookRequest subscribes a URL to events.
type CreateWebhookRequest struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2048" doc:"An http or https URL that receives a POST per event."`
	Events      []string `json:"events" minItems:"1" maxItems:"32" doc:"Event types to deliver (message.created, member.joined, ...), or [\"*\"] for every one."`
	Description string   `json:"description,omitempty" maxLength:"200" doc:"What it is for."`
}

type createWebhookInput struct {
	Body CreateWebhookRequest
}

type webhookPath struct {
	WebhookID string `path:"webhookId" maxLength:"64" doc:"Webhook id."`
}

type listDeliveriesInput struct {
	WebhookID string `path:"webhookId" maxLength:"64" doc:"Webhook id."`
	Status    string `query:"status" enum:"pending,delivered,failed" doc:"Only deliveries with this status; omit for all."`
	PageParams
}

type redeliverInput struct {
	WebhookID  string `path:"webhookId" maxLength:"64" doc:"Webhook id."`
	DeliveryID string `path:"deliveryId" maxLength:"64" doc:"Delivery id."`
}

func registerWebhooks(r registrar, s *server) {
	const base = "/v1/admin/webhooks"
	huma.Register(r.api, r.secured("createWebhook", http.MethodPost, base, tagAdmin, "Create a webhook",
		"Subscribes a URL to event types (admins only): every matching event appended from now on is POSTed to it, "+
			"signed with the secret in this response (shown once), at least once, retried with exponential back-off.",
		http.StatusCreated, http.StatusForbidden), s.createWebhook)
	huma.Register(r.api, r.secured("listWebhooks", http.MethodGet, base, tagAdmin, "List webhooks",
		"Lists the webhooks (admins only), without their secrets.", http.StatusOK, http.StatusForbidden), s.listWebhooks)
	huma.Register(r.api, r.secured("deleteWebhook", http.MethodDelete, base+"/{webhookId}", tagAdmin, "Delete a webhook",
		"Deletes a webhook and its delivery log (admins only); its pending deliveries are not sent.",
		http.StatusNoContent, http.StatusForbidden, http.StatusNotFound), s.deleteWebhook)
	huma.Register(r.api, r.secured("listWebhookDeliveries", http.MethodGet, base+"/{webhookId}/deliveries", tagAdmin,
		"List deliveries", "The delivery log of a webhook, newest first (admins only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.listWebhookDeliveries)
	huma.Register(r.api, r.secured("redeliverWebhook", http.MethodPost, base+"/{webhookId}/deliveries/{deliveryId}/redeliver",
		tagAdmin, "Redeliver", "Sends a delivery again (admins only): a new pending delivery of the same body, due now.",
		http.StatusCreated, http.StatusForbidden, http.StatusNotFound), s.redeliverWebhook)
}

func webhookOf(w core.Webhook) Webhook {
	return Webhook{ID: w.ID, URL: w.URL, Events: w.Events, Description: w.Description, CreatedAt: w.CreatedAt.UTC()}
}

func deliveryOf(d core.WebhookDelivery) WebhookDelivery {
	out := WebhookDelivery{ID: d.ID, WebhookID: d.WebhookID, ConversationID: d.ConversationID, Seq: d.Seq,
		EventType: string(d.EventType), Status: string(d.Status), Attempts: d.Attempts, CreatedAt: d.CreatedAt.UTC(),
		LastAttemptAt: schema.UTC(d.LastAttemptAt), LastStatus: d.LastStatus, LastError: d.LastError,
		DeliveredAt: schema.UTC(d.DeliveredAt), RedeliveryOf: d.RedeliveryOf}
	if d.Status == core.DeliveryPending {
		next := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &next
	}
	return out
}

func (s *server) createWebhook(ctx context.Context, in *createWebhookInput) (*body[CreatedWebhook], error) {
	w, err := s.svc.CreateWebhook(ctx, caller(ctx).Caller, chat.NewWebhookInput{URL: in.Body.URL, Events: in.Body.Events,
		Description: in.Body.Description})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[CreatedWebhook]{Body: CreatedWebhook{Webhook: webhookOf(w), Secret: w.Secret}}, nil
}

func (s *server) listWebhooks(ctx context.Context, in *listAPIKeysInput) (*body[WebhookList], error) {
	p, err := s.svc.Webhooks(ctx, caller(ctx).Caller, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[WebhookList]{Body: WebhookList{Items: mapItems(p.Items, webhookOf), Next: p.Next}}, nil
}

func (s *server) deleteWebhook(ctx context.Context, in *webhookPath) (*struct{}, error) {
	if err := s.svc.DeleteWebhook(ctx, caller(ctx).Caller, in.WebhookID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) listWebhookDeliveries(ctx context.Context, in *listDeliveriesInput) (*body[WebhookDeliveryList], error) {
	p, err := s.svc.WebhookDeliveries(ctx, caller(ctx).Caller, in.WebhookID, core.DeliveryStatus(in.Status),
		core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[WebhookDeliveryList]{Body: WebhookDeliveryList{Items: mapItems(p.Items, deliveryOf), Next: p.Next}}, nil
}

func (s *server) redeliverWebhook(ctx context.Context, in *redeliverInput) (*body[WebhookDelivery], error) {
	d, err := s.svc.Redeliver(ctx, caller(ctx).Caller, in.WebhookID, in.DeliveryID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[WebhookDelivery]{Body: deliveryOf(d)}, nil
}
