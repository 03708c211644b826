package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// receiver is a fake webhook receiver: it records every request, and answers what answer says (by default 200).
type receiver struct {
	mu       sync.Mutex
	requests []hookRequest
	answer   func(url string, attempt int) (int, error)
	block    chan struct{} // when set, requests to blockURL wait for it (or for their context)
	blockURL string
}

type hookRequest struct {
	url     string
	headers map[string]string
	body    []byte
}

func (r *receiver) Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	if r.block != nil && url == r.blockURL {
		select {
		case <-r.block:
		case <-ctx.Done():
			return 0, errors.New("no answer in time")
		}
	}
	r.mu.Lock()
	r.requests = append(r.requests, hookRequest{url: url, headers: headers, body: body})
	n := 0
	for _, q := range r.requests {
		if q.url == url {
			n++
		}
	}
	answer := r.answer
	r.mu.Unlock()
	if answer != nil {
		return answer(url, n)
	}
	return 200, nil
}

func (r *receiver) to(url string) []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookRequest
	for _, q := range r.requests {
		if q.url == url {
			out = append(out, q)
		}
	}
	return out
}

type alone struct{}

func (alone) RunExclusive(ctx context.Context, _ string, fn func(context.Context) error) error {
	return fn(ctx)
}

// dispatch starts a webhook dispatcher on e's store with rcv as the network.
func (e *env) dispatch(rcv *receiver, mutate ...func(*chat.WebhookConfig)) {
	e.t.Helper()
	cfg := chat.DefaultWebhookConfig()
	cfg.Poll, cfg.Timeout, cfg.BackoffMin, cfg.BackoffMax, cfg.RetryFor = 5*time.Millisecond, 200*time.Millisecond, time.Minute, time.Hour, 24*time.Hour
	for _, m := range mutate {
		m(&cfg)
	}
	d, err := chat.NewWebhookDispatcher(cfg, chat.WebhookDeps{Feed: e.store, Webhooks: e.store, History: e.store,
		Exclusive: alone{}, Sender: rcv, Clock: e.clock, IDs: e.ids,
		Encode: func(ev core.Event) ([]byte, error) {
			return json.Marshal(map[string]any{"conversationId": ev.ConversationID, "seq": ev.Seq, "type": ev.Type})
		}})
	require.NoError(e.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// eventually waits (bounded) until cond holds: the dispatcher works on its own goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// deliveries returns a webhook's delivery log, oldest first.
func (e *env) deliveries(id string) []core.WebhookDelivery {
	e.t.Helper()
	p, err := e.svc.WebhookDeliveries(context.Background(), adminKey, id, "", core.PageRequest{Limit: 200})
	require.NoError(e.t, err)
	out := make([]core.WebhookDelivery, len(p.Items))
	for i, d := range p.Items {
		out[len(out)-1-i] = d
	}
	return out
}

func TestWebhooksDeliverEveryEventSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	before := e.group(alice, bob) // events before the webhooks exist are not delivered
	e.send(alice, before, "too early")
	e.clock.Advance(time.Second)

	_, err := e.svc.CreateWebhook(ctx, e.as(alice), chat.NewWebhookInput{URL: "https://example.com", Events: []string{"*"}})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	for _, bad := range []chat.NewWebhookInput{{URL: "ftp://x", Events: []string{"*"}}, {URL: "https://x/", Events: nil},
		{URL: "https://x/", Events: []string{"message.exploded"}}, {URL: "https://u:p@x/", Events: []string{"*"}}} {
		_, err := e.svc.CreateWebhook(ctx, adminKey, bad)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, "%+v", bad)
	}
	msgs, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://a.example/hook", Events: []string{"message.created"}})
	require.NoError(t, err)
	all, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://b.example/hook", Events: []string{"*"}})
	require.NoError(t, err)
	assert.Contains(t, all.Secret, chat.WebhookSecretPrefix)
	list, err := e.svc.Webhooks(ctx, adminKey, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, list.Items, 2)
	assert.Empty(t, list.Items[0].Secret, "secrets are shown once")

	rcv := &receiver{}
	e.dispatch(rcv)
	g := e.group(alice, bob)
	var sent []core.Message
	for i := range 5 {
		sent = append(sent, e.send(alice, g, "hello "+strconv.Itoa(i)))
	}
	_, err = e.svc.SetRole(ctx, alice, g, bob, core.RoleAdmin)
	require.NoError(t, err)
	evs, _, err := e.svc.Events(ctx, alice, g, 0, 100)
	require.NoError(t, err)
	require.Len(t, evs, 6, "five messages and a member.updated")
	eventually(t, "five messages at a", func() bool { return len(rcv.to(msgs.URL)) == 5 })
	eventually(t, "every event at b", func() bool { return len(rcv.to(all.URL)) == len(evs) })
	var types []string
	for _, q := range rcv.to(all.URL) {
		var ev struct {
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(q.body, &ev))
		types = append(types, ev.Type)
	}
	assert.Contains(t, types, string(core.EventMemberUpdated))

	var seqs, want []int64
	for _, m := range sent {
		want = append(want, m.Seq)
	}
	for _, q := range rcv.to(msgs.URL) {
		require.NoError(t, core.VerifyWebhook(msgs.Secret, q.headers[core.WebhookTimestampHeader],
			q.headers[core.WebhookSignatureHeader], q.body, e.clock.Now(), 5*time.Minute))
		assert.Error(t, core.VerifyWebhook(all.Secret, q.headers[core.WebhookTimestampHeader],
			q.headers[core.WebhookSignatureHeader], q.body, e.clock.Now(), 5*time.Minute), "another webhook's secret")
		forged := append([]byte{}, q.body...)
		forged[len(forged)-2]++
		assert.Error(t, core.VerifyWebhook(msgs.Secret, q.headers[core.WebhookTimestampHeader],
			q.headers[core.WebhookSignatureHeader], forged, e.clock.Now(), 5*time.Minute), "a changed body")
		assert.Error(t, core.VerifyWebhook(msgs.Secret, q.headers[core.WebhookTimestampHeader],
			q.headers[core.WebhookSignatureHeader], q.body, e.clock.Now().Add(time.Hour), 5*time.Minute), "a replay an hour later")
		assert.Equal(t, msgs.ID, q.headers[core.WebhookIDHeader])
		var ev struct {
			ConversationID string `json:"conversationId"`
			Seq            int64  `json:"seq"`
		}
		require.NoError(t, json.Unmarshal(q.body, &ev))
		assert.Equal(t, g, ev.ConversationID)
		seqs = append(seqs, ev.Seq)
	}
	slices.Sort(seqs)
	assert.Equal(t, want, seqs, "each message once (in any order: deliveries go out concurrently)")
	eventually(t, "the log says delivered", func() bool {
		ds := e.deliveries(msgs.ID)
		return len(ds) == 5 && ds[4].Status == core.DeliveryDelivered
	})
	for _, d := range e.deliveries(msgs.ID) {
		assert.Equal(t, core.DeliveryDelivered, d.Status)
		assert.Equal(t, 1, d.Attempts)
		assert.Equal(t, 200, d.LastStatus)
		assert.Equal(t, core.EventMessageCreated, d.EventType)
	}
}

func TestWebhooksRetryWithBackoffThenGiveUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	hook, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://flaky.example/", Events: []string{"message.created"}})
	require.NoError(t, err)
	down := true
	var mu sync.Mutex
	rcv := &receiver{answer: func(string, int) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503, nil
		}
		return 204, nil
	}}
	e.dispatch(rcv, func(c *chat.WebhookConfig) { c.RetryFor = 10 * time.Minute })
	g := e.group(alice, bob)
	e.send(alice, g, "are you there?")

	eventually(t, "a first failed attempt", func() bool { ds := e.deliveries(hook.ID); return len(ds) == 1 && ds[0].Attempts == 1 })
	d := e.deliveries(hook.ID)[0]
	assert.Equal(t, core.DeliveryPending, d.Status)
	assert.Equal(t, 503, d.LastStatus)
	assert.Contains(t, d.LastError, "503")
	wait := d.NextAttemptAt.Sub(e.clock.Now())
	assert.True(t, wait > 47*time.Second && wait <= time.Minute, "about the minimum back-off: %s", wait)

	e.clock.Advance(time.Minute)
	eventually(t, "a second failed attempt", func() bool { return e.deliveries(hook.ID)[0].Attempts == 2 })
	wait = e.deliveries(hook.ID)[0].NextAttemptAt.Sub(e.clock.Now())
	assert.True(t, wait > 95*time.Second && wait <= 2*time.Minute, "doubled: %s", wait)

	mu.Lock()
	down = false
	mu.Unlock()
	e.clock.Advance(2 * time.Minute)
	eventually(t, "delivered once the receiver is back", func() bool {
		return e.deliveries(hook.ID)[0].Status == core.DeliveryDelivered
	})
	assert.Equal(t, 3, e.deliveries(hook.ID)[0].Attempts)

	// A receiver down for longer than RetryFor: the delivery is given up, and can be redelivered by hand.
	mu.Lock()
	down = true
	mu.Unlock()
	e.send(alice, g, "anyone?")
	eventually(t, "a failed attempt", func() bool { ds := e.deliveries(hook.ID); return len(ds) == 2 && ds[1].Attempts == 1 })
	for i := 0; e.deliveries(hook.ID)[1].Status == core.DeliveryPending; i++ {
		require.Less(t, i, 20, "never given up")
		n := e.deliveries(hook.ID)[1].Attempts
		e.clock.Advance(10 * time.Minute)
		eventually(t, "the next attempt", func() bool { return e.deliveries(hook.ID)[1].Attempts > n })
	}
	failed := e.deliveries(hook.ID)[1]
	assert.Equal(t, core.DeliveryFailed, failed.Status)
	mu.Lock()
	down = false
	mu.Unlock()
	_, err = e.svc.Redeliver(ctx, adminKey, "other", failed.ID)
	assert.ErrorIs(t, err, core.ErrNotFound, "the delivery of another webhook")
	again, err := e.svc.Redeliver(ctx, adminKey, hook.ID, failed.ID)
	require.NoError(t, err)
	assert.Equal(t, failed.ID, again.RedeliveryOf)
	eventually(t, "the redelivery delivered", func() bool {
		ds := e.deliveries(hook.ID)
		return len(ds) == 3 && ds[2].Status == core.DeliveryDelivered
	})
	reqs := rcv.to(hook.URL)
	assert.Equal(t, reqs[len(reqs)-1].body, reqs[len(reqs)-2].body, "the same body")
	assert.NotEqual(t, reqs[len(reqs)-1].headers[core.WebhookDeliveryHeader], reqs[len(reqs)-2].headers[core.WebhookDeliveryHeader])
}

func TestASlowReceiverDelaysOnlyItself(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	slow, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://slow.example/", Events: []string{"*"}})
	require.NoError(t, err)
	fast, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://fast.example/", Events: []string{"*"}})
	require.NoError(t, err)
	rcv := &receiver{block: make(chan struct{}), blockURL: slow.URL}
	defer close(rcv.block)
	e.dispatch(rcv, func(c *chat.WebhookConfig) { c.Concurrency, c.PerWebhook, c.Timeout = 4, 2, time.Hour })
	g := e.group(alice, bob)
	for i := range 20 {
		e.send(alice, g, "msg "+strconv.Itoa(i))
	}
	eventually(t, "every message at the fast receiver", func() bool { return len(rcv.to(fast.URL)) == 20 })
	assert.Empty(t, rcv.to(slow.URL), "the slow one is still on its first attempts")
}

func TestTheDeliveryLogIsPrunedAfterItsRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	hook, err := e.svc.CreateWebhook(ctx, adminKey, chat.NewWebhookInput{URL: "https://a.example/", Events: []string{"*"}})
	require.NoError(t, err)
	var mu sync.Mutex
	status := 500
	down := &receiver{answer: func(string, int) (int, error) { mu.Lock(); defer mu.Unlock(); return status, nil }}
	e.dispatch(down, func(c *chat.WebhookConfig) {
		c.Retention, c.PruneEvery, c.RetryFor = time.Hour, 5*time.Millisecond, 48*time.Hour
	})
	g := e.group(alice, bob)
	e.send(alice, g, "kept while pending")
	eventually(t, "a failed attempt", func() bool { ds := e.deliveries(hook.ID); return len(ds) == 1 && ds[0].Attempts == 1 })
	e.clock.Advance(2 * time.Hour)
	eventually(t, "a second attempt", func() bool { return e.deliveries(hook.ID)[0].Attempts == 2 })
	assert.Len(t, e.deliveries(hook.ID), 1, "a pending delivery is never pruned, however old")
	mu.Lock()
	status = 200
	mu.Unlock()
	e.clock.Advance(2 * time.Hour)
	// Delivered now, it is older than the retention: the next pruning deletes it (it may do so before the log
	// is read here, so the delivery is seen at the receiver).
	eventually(t, "the settled delivery pruned once older than the retention", func() bool { return len(e.deliveries(hook.ID)) == 0 })
	assert.Len(t, down.to(hook.URL), 3, "two failed attempts, then the delivery")
}
