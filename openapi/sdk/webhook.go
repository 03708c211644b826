package sdk

import (
	"net/http"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Webhook delivery headers: the webhook, the delivery (the same across attempts of one delivery; a manual
// redelivery has its own), and the signature over the timestamp and the raw body.
const (
	WebhookIDHeader        = core.WebhookIDHeader
	WebhookDeliveryHeader  = core.WebhookDeliveryHeader
	WebhookTimestampHeader = core.WebhookTimestampHeader
	WebhookSignatureHeader = core.WebhookSignatureHeader
)

// DefaultWebhookTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultWebhookTolerance = 5 * time.Minute

// VerifyWebhook checks a webhook delivery the way a receiver must before trusting it: header carries
// Scalechat-Webhook-Timestamp (unix seconds) and Scalechat-Webhook-Signature ("v1=" and the hex HMAC-SHA256,
// keyed with the webhook's secret, of the timestamp, ".", and the raw body); the signature must match and the
// timestamp be within tolerance of now (which refuses replays of old deliveries). Pass the body exactly as
// received, before any JSON decoding. A receiver dedupes deliveries by the event's conversationId and seq.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	return core.VerifyWebhook(secret, header.Get(WebhookTimestampHeader), header.Get(WebhookSignatureHeader), body, now, tolerance)
}
