package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/scalechat/scalechat/core"
)

// The admin API's webhooks: subscriptions of the host application to events, delivered by the
// WebhookDispatcher.

// Audit actions of webhooks.
const (
	AuditWebhookCreate    = "webhook.create"
	AuditWebhookDelete    = "webhook.delete"
	AuditWebhookRedeliver = "webhook.redeliver"
	auditTargetWebhook    = "webhook"
)

// WebhookSecretPrefix starts every webhook signing secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookInput is a webhook to create.
type NewWebhookInput struct {
	URL         string
	Events      []string // event types, or "*"
	Description string
}

// CreateWebhook subscribes url to events, for an admin, and returns the webhook with its signing secret (shown
// this once). Deliveries start with the events that happen after it exists (by the events' time).
func (s *Service) CreateWebhook(ctx context.Context, caller Caller, in NewWebhookInput) (core.Webhook, error) {
	if err := requireAdmin(caller); err != nil {
		return core.Webhook{}, err
	}
	u, err := core.ValidateWebhookURL(in.URL)
	if err != nil {
		return core.Webhook{}, err
	}
	events, err := webhookEvents(in.Events)
	if err != nil {
		return core.Webhook{}, err
	}
	desc := strings.TrimSpace(in.Description)
	if len(desc) > core.MaxWebhookDescriptionLen {
		return core.Webhook{}, core.Invalid("description", "description must be at most %d bytes", core.MaxWebhookDescriptionLen)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return core.Webhook{}, err
	}
	w := core.Webhook{ID: s.d.IDs.NewID(), URL: u, Events: events, Description: desc,
		Secret: WebhookSecretPrefix + base64.RawURLEncoding.EncodeToString(secret), CreatedAt: s.now()}
	if err := s.d.Webhooks.CreateWebhook(ctx, w); err != nil {
		return core.Webhook{}, err
	}
	return w, s.audit(ctx, caller, AuditWebhookCreate, auditTargetWebhook, w.ID, "", map[string]string{
		"url": w.URL, "events": strings.Join(w.Events, ",")})
}

// webhookEvents checks a webhook's event types: known ones or "*", at least one, each once.
func webhookEvents(in []string) ([]string, error) {
	if len(in) == 0 || len(in) > core.MaxWebhookEvents {
		return nil, core.Invalid("events", "name 1 to %d event types (or \"*\" for every one)", core.MaxWebhookEvents)
	}
	var out []string
	for _, e := range in {
		e = strings.TrimSpace(e)
		if e != core.WebhookAllEvents && !slices.Contains(core.EventTypes, core.EventType(e)) {
			return nil, core.Invalid("events", "unknown event type %q", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Webhooks lists the webhooks, for an admin (their secrets are blanked: a secret is shown only at creation).
func (s *Service) Webhooks(ctx context.Context, caller Caller, page core.PageRequest) (core.Page[core.Webhook], error) {
	if err := requireAdmin(caller); err != nil {
		return core.Page[core.Webhook]{}, err
	}
	var err error
	if page.Limit, err = core.PageLimit(page.Limit); err != nil {
		return core.Page[core.Webhook]{}, err
	}
	p, err := s.d.Webhooks.Webhooks(ctx, page)
	for i := range p.Items {
		p.Items[i].Secret = ""
	}
	return p, err
}

// DeleteWebhook removes a webhook and its deliveries (pending ones are not sent), for an admin.
func (s *Service) DeleteWebhook(ctx context.Context, caller Caller, id string) error {
	if err := requireAdmin(caller); err != nil {
		return err
	}
	found, err := s.d.Webhooks.DeleteWebhook(ctx, id)
	if err != nil {
		return err
	}
	if !found {
		return core.Errorf(core.CodeNotFound, "webhook not found")
	}
	return s.audit(ctx, caller, AuditWebhookDelete, auditTargetWebhook, id, "", nil)
}

// WebhookDeliveries lists a webhook's deliveries with a status ("" for all), newest first: the delivery log.
func (s *Service) WebhookDeliveries(ctx context.Context, caller Caller, webhookID string, status core.DeliveryStatus,
	page core.PageRequest) (core.Page[core.WebhookDelivery], error) {
	if err := requireAdmin(caller); err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	if status != "" && !status.Valid() {
		return core.Page[core.WebhookDelivery]{}, core.Invalid("status", "status must be pending, delivered or failed")
	}
	if _, err := s.d.Webhooks.Webhook(ctx, webhookID); err != nil {
		return core.Page[core.WebhookDelivery]{}, notFoundAs(err, "webhook not found")
	}
	var err error
	if page.Limit, err = core.PageLimit(page.Limit); err != nil {
		return core.Page[core.WebhookDelivery]{}, err
	}
	return s.d.Webhooks.Deliveries(ctx, webhookID, status, page)
}

// Redeliver sends a delivery again, for an admin: a new pending delivery of the same body, due now, retried
// like any other; the original stays as it was.
func (s *Service) Redeliver(ctx context.Context, caller Caller, webhookID, deliveryID string) (core.WebhookDelivery, error) {
	if err := requireAdmin(caller); err != nil {
		return core.WebhookDelivery{}, err
	}
	d, err := s.d.Webhooks.Delivery(ctx, deliveryID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && d.WebhookID != webhookID) {
		return core.WebhookDelivery{}, core.Errorf(core.CodeNotFound, "delivery not found")
	} else if err != nil {
		return core.WebhookDelivery{}, err
	}
	now := s.now()
	again := core.WebhookDelivery{ID: s.d.IDs.NewID(), WebhookID: d.WebhookID, ConversationID: d.ConversationID,
		Seq: d.Seq, EventType: d.EventType, Payload: d.Payload, Status: core.DeliveryPending, CreatedAt: now,
		NextAttemptAt: now, RedeliveryOf: d.ID}
	if err := s.d.Webhooks.CreateDelivery(ctx, again); err != nil {
		return core.WebhookDelivery{}, err
	}
	return again, s.audit(ctx, caller, AuditWebhookRedeliver, auditTargetWebhook, webhookID, d.ConversationID,
		map[string]string{"deliveryId": d.ID, "redeliveryId": again.ID})
}
