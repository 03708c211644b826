package e2e

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/hostapp"
)

// The host application receives a signed webhook for every message, over real HTTP, and verifies each one. Its
// receiver fails, times out and recovers along the way: every message still arrives (at least once; the
// receiver dedupes by conversation and seq), the delivery log shows the retries, a manual redelivery sends one
// again, and a request with a forged signature is refused by the receiver. While the receiver is down, chat
// goes on at full speed.
func TestWebhooksReachTheHostApplication(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	rcv := hostapp.NewReceiver(t)
	s := startServer(t, append(app.Flags(), "--webhook-timeout", "1s", "--webhook-backoff-min", "200ms",
		"--webhook-backoff-max", "1s", "--webhook-poll", "50ms")...)
	ctx := t.Context()
	admin := s.client(t, strings.TrimSpace(s.cli(t, "apikey", "create", "admin", "host backend")))

	bad, err := admin.CreateWebhookWithResponse(ctx, sdk.CreateWebhookRequest{Url: "ftp://example.com", Events: &[]string{"*"}})
	wantProblem(t, bad, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	bad, err = admin.CreateWebhookWithResponse(ctx, sdk.CreateWebhookRequest{Url: rcv.URL, Events: &[]string{"message.exploded"}})
	wantProblem(t, bad, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	cr, err := admin.CreateWebhookWithResponse(ctx, sdk.CreateWebhookRequest{Url: rcv.URL, Events: &[]string{"message.created"},
		Description: ptr("host app: new messages")})
	wantStatus(t, cr, err, http.StatusCreated)
	hook := cr.JSON201.Webhook
	rcv.SetSecret(cr.JSON201.Secret)
	list, err := admin.ListWebhooksWithResponse(ctx, nil)
	wantStatus(t, list, err, http.StatusOK)
	require.Len(t, list.JSON200.Items, 1, "the failed creations made nothing")
	assert.NotContains(t, string(list.Body), cr.JSON201.Secret, "the secret is shown once")

	// The receiver answers 500 twice, then takes longer than --webhook-timeout once, then recovers.
	rcv.Script(hostapp.Answer{Status: 500}, hostapp.Answer{Status: 500}, hostapp.Answer{Status: 200, Delay: 3 * time.Second})
	grace, alan := s.signUp(t, "grace"), s.signUp(t, "alan")
	conv := grace.create(t, sdk.CreateConversationRequestKindGroup, "Project X", alan)
	var want []hostapp.EventKey
	start := time.Now()
	for i := range 10 {
		author := grace
		if i%2 == 1 {
			author = alan
		}
		m := author.send(t, conv.Id, "message "+strconv.Itoa(i))
		want = append(want, hostapp.EventKey{ConversationID: conv.Id, Seq: m.Seq})
	}
	sending := time.Since(start)

	deadline := time.Now().Add(30 * time.Second)
	for len(rcv.Events()) < len(want) {
		require.True(t, time.Now().Before(deadline), "only %d of %d messages reached the host app", len(rcv.Events()), len(want))
		time.Sleep(20 * time.Millisecond)
	}
	got := rcv.Events()
	for _, k := range want {
		ev, ok := got[k]
		require.True(t, ok, "message at seq %d never arrived", k.Seq)
		assert.Equal(t, sdk.MessageCreated, ev.Type)
		require.NotNil(t, ev.Data.Message)
		assert.Equal(t, k.Seq, ev.Data.Message.Seq)
	}
	assert.Zero(t, rcv.Pending(), "every scripted failure was met")
	received, _ := rcv.Counts()
	assert.GreaterOrEqual(t, received, len(want)+3, "the failed attempts were retried")
	assert.Less(t, sending, 5*time.Second, "the receiver's troubles did not slow the sends (%s)", sending)

	// The delivery log: every delivery delivered, some after several attempts.
	var log []sdk.WebhookDelivery
	for range 10 {
		dl, err := admin.ListWebhookDeliveriesWithResponse(ctx, hook.Id, nil)
		wantStatus(t, dl, err, http.StatusOK)
		log = dl.JSON200.Items
		delivered := 0
		for _, d := range log {
			if d.Status == sdk.WebhookDeliveryStatusDelivered {
				delivered++
			}
		}
		if delivered == len(want) { // the log is written just after the receiver answers
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Len(t, log, len(want), "one delivery per message: member events were not subscribed to")
	retried := 0
	for _, d := range log {
		assert.Equal(t, sdk.WebhookDeliveryStatusDelivered, d.Status)
		assert.Equal(t, conv.Id, d.ConversationId)
		if d.Attempts > 1 {
			retried++
		}
	}
	assert.GreaterOrEqual(t, retried, 1, "the log shows the retries")

	// The attempts are counted on /metrics by outcome: the two 500s refused, the timeout failed.
	for outcome, least := range map[string]float64{"delivered": float64(len(want)), "refused": 2, "failed": 1} {
		assert.GreaterOrEqual(t, metric(t, s, `scalechat_webhook_attempts_total{outcome="`+outcome+`"}`), least, outcome)
	}

	// A manual redelivery sends one delivery again; the receiver sees a duplicate of an event it has.
	before, _ := rcv.Counts()
	rd, err := admin.RedeliverWebhookWithResponse(ctx, hook.Id, log[0].Id)
	wantStatus(t, rd, err, http.StatusCreated)
	assert.Equal(t, log[0].Id, *rd.JSON201.RedeliveryOf)
	deadline = time.Now().Add(10 * time.Second)
	for {
		if n, _ := rcv.Counts(); n > before {
			break
		}
		require.True(t, time.Now().Before(deadline), "the redelivery never came")
		time.Sleep(20 * time.Millisecond)
	}
	assert.Len(t, rcv.Events(), len(want), "a duplicate changes nothing at a receiver that dedupes")

	// A forged delivery is refused by the receiver: wrong secret, and a genuine signature over another body.
	for _, forge := range []func(*http.Request){
		func(r *http.Request) {
			r.Header.Set(sdk.WebhookTimestampHeader, strconv.FormatInt(time.Now().Unix(), 10))
			r.Header.Set(sdk.WebhookSignatureHeader, "v1="+strings.Repeat("ab", 32))
		},
		func(r *http.Request) {
			r.Header.Set(sdk.WebhookTimestampHeader, strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10))
		},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rcv.URL, bytes.NewReader([]byte(
			`{"conversationId":"`+conv.Id+`","seq":999,"type":"message.created","at":"2026-01-01T00:00:00Z","actorId":"x","data":{}}`)))
		require.NoError(t, err)
		forge(req)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	}
	_, refused := rcv.Counts()
	assert.Equal(t, 2, refused)
	assert.NotContains(t, rcv.Events(), hostapp.EventKey{ConversationID: conv.Id, Seq: 999})

	// Deleting the webhook stops deliveries; its log goes with it.
	del, err := admin.DeleteWebhookWithResponse(ctx, hook.Id)
	wantStatus(t, del, err, http.StatusNoContent)
	gone, err := admin.ListWebhookDeliveriesWithResponse(ctx, hook.Id, nil)
	wantProblem(t, gone, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	audit := auditActionsWithKey(t, admin)
	assert.Equal(t, []string{"webhook.delete", "webhook.redeliver", "webhook.create"}, audit[:3])
}

// auditActionsWithKey reads the newest page of the audit log with an admin client and returns its actions.
func auditActionsWithKey(t *testing.T, admin *sdk.ClientWithResponses) []string {
	t.Helper()
	r, err := admin.ListAuditLogWithResponse(t.Context(), nil)
	wantStatus(t, r, err, http.StatusOK)
	var out []string
	for _, e := range r.JSON200.Items {
		out = append(out, e.Action)
	}
	return out
}
