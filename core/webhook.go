package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook is a subscription of the host application to events: each matching event is POSTed to URL, signed
// with Secret (see SignWebhook).
type Webhook struct {
	ID          string
	URL         string
	Events      []string // event types (message.created, ...), or "*" for every one
	Description string
	Secret      string // the signing secret, shown once when the webhook is created
	CreatedAt   time.Time
}

// WebhookAllEvents subscribes a webhook to every event type.
const WebhookAllEvents = "*"

// Wants reports whether the webhook subscribes to events of type t.
func (w Webhook) Wants(t EventType) bool {
	return slices.Contains(w.Events, WebhookAllEvents) || slices.Contains(w.Events, string(t))
}

// DeliveryStatus is where a webhook delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its first or next attempt
	DeliveryDelivered DeliveryStatus = "delivered" // the receiver answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // given up: retried for the whole retry period (or its webhook is gone)
)

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	return s == DeliveryPending || s == DeliveryDelivered || s == DeliveryFailed
}

// WebhookDelivery is one event sent (or to be sent) to one webhook: the exact body, and how its attempts went.
type WebhookDelivery struct {
	ID             string // UUIDv7
	WebhookID      string
	ConversationID string
	Seq            int64
	EventType      EventType
	Payload        []byte // the request body, the same at every attempt
	Status         DeliveryStatus
	Attempts       int
	CreatedAt      time.Time
	NextAttemptAt  time.Time // pending: when the next attempt is due
	LastAttemptAt  *time.Time
	LastStatus     int    // the HTTP status of the last attempt (0: no response)
	LastError      string // why the last attempt failed ("" when it did not)
	DeliveredAt    *time.Time
	RedeliveryOf   string // a manual redelivery: the delivery it repeats
}

// FeedChange is one entry of the stores' change feed: a transaction appended the events FirstSeq..LastSeq of a
// conversation.
type FeedChange struct {
	ConversationID string
	FirstSeq       int64
	LastSeq        int64
}

// Limits on webhooks.
const (
	MaxWebhookURLLen         = 2048
	MaxWebhookDescriptionLen = 200
	MaxWebhookEvents         = 32
)

// ValidateWebhookURL checks a webhook's URL: absolute http or https, with a host, no user info or fragment.
func ValidateWebhookURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > MaxWebhookURLLen {
		return "", Invalid("url", "url must be 1 to %d bytes", MaxWebhookURLLen)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", Invalid("url", "url is not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", Invalid("url", "url must be http or https")
	case u.Host == "":
		return "", Invalid("url", "url must name a host")
	case u.User != nil:
		return "", Invalid("url", "url must not carry credentials (sign requests with the secret instead)")
	case u.Fragment != "":
		return "", Invalid("url", "url must not have a fragment")
	}
	return s, nil
}

// Webhook signatures. A delivery carries the headers
//
//	Scalechat-Webhook-Timestamp: <unix seconds>
//	Scalechat-Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// and the receiver recomputes the signature over the raw body, compares it in constant time and refuses
// timestamps too far from its clock (VerifyWebhook).
const (
	WebhookTimestampHeader = "Scalechat-Webhook-Timestamp"
	WebhookSignatureHeader = "Scalechat-Webhook-Signature"
	WebhookIDHeader        = "Scalechat-Webhook-Id"
	WebhookDeliveryHeader  = "Scalechat-Delivery-Id"
	webhookSignaturePrefix = "v1="
)

// SignWebhook returns the signature header value of body sent at ts with secret.
func SignWebhook(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return webhookSignaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks a delivery as a receiver does: the signature (one of possibly several, comma-separated,
// "v1=" values) must be body's with secret at the timestamp header's time, and that time within tolerance of
// now. Its errors say which check failed.
func VerifyWebhook(secret, timestampHeader, signatureHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(strings.TrimSpace(timestampHeader), 10, 64)
	if err != nil {
		return Errorf(CodeUnauthenticated, "webhook timestamp missing or malformed")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return Errorf(CodeUnauthenticated, "webhook timestamp too far from now (%s)", d.Round(time.Second))
	}
	want := SignWebhook(secret, ts, body)
	for _, sig := range strings.Split(signatureHeader, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(sig)), []byte(want)) {
			return nil
		}
	}
	return Errorf(CodeUnauthenticated, "webhook signature does not match")
}
