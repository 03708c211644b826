package chat

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// WebhookConfig tunes webhook delivery.
type WebhookConfig struct {
	Poll        time.Duration // how often the change feed and the due deliveries are read when idle
	Timeout     time.Duration // one attempt's limit, response included
	RetryFor    time.Duration // how long a delivery is retried before it is given up (failed)
	BackoffMin  time.Duration // the wait after the first failed attempt; it doubles with each failure
	BackoffMax  time.Duration // ... up to this
	Concurrency int           // attempts in flight at once
	PerWebhook  int           // attempts in flight to one webhook at once, so one slow receiver cannot take every slot
	FeedBatch   int           // feed changes read at once
	Retention   time.Duration // how long settled deliveries stay in the delivery log
	PruneEvery  time.Duration // how often the delivery log is pruned
}

// DefaultWebhookConfig is the configuration the flags default to.
func DefaultWebhookConfig() WebhookConfig {
	return WebhookConfig{Poll: 250 * time.Millisecond, Timeout: 10 * time.Second, RetryFor: 24 * time.Hour,
		BackoffMin: time.Second, BackoffMax: time.Hour, Concurrency: 16, PerWebhook: 4, FeedBatch: 500,
		Retention: 7 * 24 * time.Hour, PruneEvery: 10 * time.Minute}
}

// WebhookDeps are what the dispatcher works with.
type WebhookDeps struct {
	Feed      ports.ChangeFeed
	Webhooks  ports.WebhookStore
	History   ports.HistoryStore
	Exclusive ports.Exclusive
	Sender    ports.WebhookSender
	Clock     ports.Clock
	IDs       ports.IDGenerator
	// Encode is the body of an event's delivery (the API's event object).
	Encode func(core.Event) ([]byte, error)
	Logger *slog.Logger
}

// WebhookDispatcher delivers events to webhooks, at least once: it walks the stores' change feed (every
// sequenced event of every conversation, after it is committed), turns each event into a delivery per webhook
// that wants it — stored, with the feed's cursor, in one transaction — and sends due deliveries, retrying
// failures with exponential back-off for RetryFor. It runs apart from the chat pipeline (its own loops and
// store reads; the feed is written in the same transactions as the events), so a receiver that is down or
// slow delays only its own deliveries. One process of a deployment runs it at a time (ports.Exclusive).
type WebhookDispatcher struct {
	cfg WebhookConfig
	d   WebhookDeps
	log *slog.Logger

	mu       sync.Mutex
	inFlight map[string]bool // delivery ids being attempted
	perHook  map[string]int  // attempts in flight per webhook
}

// NewWebhookDispatcher returns a dispatcher; Run runs it.
func NewWebhookDispatcher(cfg WebhookConfig, d WebhookDeps) (*WebhookDispatcher, error) {
	if cfg.Poll <= 0 || cfg.Timeout <= 0 || cfg.RetryFor <= 0 || cfg.BackoffMin <= 0 || cfg.BackoffMax < cfg.BackoffMin ||
		cfg.Concurrency <= 0 || cfg.PerWebhook <= 0 || cfg.FeedBatch <= 0 || cfg.Retention <= 0 || cfg.PruneEvery <= 0 {
		return nil, errors.New("chat: every webhook setting must be positive (and the back-off maximum at least its minimum)")
	}
	if d.Feed == nil || d.Webhooks == nil || d.History == nil || d.Exclusive == nil || d.Sender == nil || d.Clock == nil ||
		d.IDs == nil || d.Encode == nil {
		return nil, errors.New("chat: every webhook dependency is required")
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &WebhookDispatcher{cfg: cfg, d: d, log: log.With("component", "webhooks"), inFlight: map[string]bool{},
		perHook: map[string]int{}}, nil
}

// Run dispatches until ctx ends, once this process is the deployment's dispatcher.
func (w *WebhookDispatcher) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := w.d.Exclusive.RunExclusive(ctx, "webhooks", func(ctx context.Context) error {
			w.log.Info("webhook dispatcher running")
			var wg sync.WaitGroup
			wg.Add(3)
			go func() { defer wg.Done(); w.feedLoop(ctx) }()
			go func() { defer wg.Done(); w.sendLoop(ctx) }()
			go func() { defer wg.Done(); w.pruneLoop(ctx) }()
			wg.Wait()
			return ctx.Err()
		})
		if err != nil && ctx.Err() == nil {
			w.log.Warn("webhook dispatcher stopped; taking over again", "err", err)
			sleep(ctx, w.cfg.Poll)
		}
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// feedLoop turns the change feed into deliveries.
func (w *WebhookDispatcher) feedLoop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := w.consume(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("reading the change feed failed", "err", err)
		}
		if n < w.cfg.FeedBatch { // caught up (or failed): wait; a full batch means more is waiting
			sleep(ctx, w.cfg.Poll)
		}
	}
}

// consume reads one batch of the feed and stores its deliveries with the new cursor; it returns how many
// changes it read.
func (w *WebhookDispatcher) consume(ctx context.Context) (int, error) {
	cursor, err := w.d.Webhooks.WebhookCursor(ctx)
	if err != nil {
		return 0, err
	}
	changes, next, err := w.d.Feed.Changes(ctx, cursor, w.cfg.FeedBatch)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	hooks, err := w.webhooks(ctx)
	if err != nil {
		return 0, err
	}
	var deliveries []core.WebhookDelivery
	if len(hooks) > 0 {
		now := w.d.Clock.Now()
		for _, c := range changes {
			events, err := w.events(ctx, c)
			if err != nil {
				return 0, err
			}
			for _, e := range events {
				var body []byte
				for _, h := range hooks {
					if !h.Wants(e.Type) || e.At.Before(h.CreatedAt) {
						continue
					}
					if body == nil {
						if body, err = w.d.Encode(e); err != nil {
							return 0, err
						}
					}
					deliveries = append(deliveries, core.WebhookDelivery{ID: w.d.IDs.NewID(), WebhookID: h.ID,
						ConversationID: e.ConversationID, Seq: e.Seq, EventType: e.Type, Payload: body,
						Status: core.DeliveryPending, CreatedAt: now, NextAttemptAt: now})
				}
			}
		}
	}
	return len(changes), w.d.Webhooks.ConsumeChanges(ctx, next, deliveries)
}

// webhooks reads every webhook.
func (w *WebhookDispatcher) webhooks(ctx context.Context) ([]core.Webhook, error) {
	var all []core.Webhook
	page := core.PageRequest{Limit: core.MaxHistoryLimit}
	for {
		p, err := w.d.Webhooks.Webhooks(ctx, page)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, nil
		}
		page.Cursor = p.Next
	}
}

// events reads the events of one feed change.
func (w *WebhookDispatcher) events(ctx context.Context, c core.FeedChange) ([]core.Event, error) {
	var out []core.Event
	after := c.FirstSeq - 1
	for after < c.LastSeq {
		page, _, err := w.d.History.Events(ctx, c.ConversationID, after, int(min(c.LastSeq-after, core.MaxHistoryLimit)))
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, core.Errorf(core.CodeInternal, "the change feed names events %d..%d of %s that the store does not have",
				after+1, c.LastSeq, c.ConversationID)
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq
	}
	return out, nil
}

// pruneLoop deletes settled deliveries older than Retention, a batch at a time, every PruneEvery.
func (w *WebhookDispatcher) pruneLoop(ctx context.Context) {
	const batch = 1000
	for ctx.Err() == nil {
		for ctx.Err() == nil {
			n, err := w.d.Webhooks.PruneDeliveries(ctx, w.d.Clock.Now().Add(-w.cfg.Retention), batch)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Warn("pruning the webhook delivery log failed", "err", err)
				}
				break
			}
			if n < batch {
				break
			}
		}
		sleep(ctx, w.cfg.PruneEvery)
	}
}

// sendLoop attempts due deliveries, a bounded number at a time, reading each webhook's own queue so that one
// receiver's backlog never hides another's deliveries.
func (w *WebhookDispatcher) sendLoop(ctx context.Context) {
	slots := make(chan struct{}, w.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		hooks, err := w.webhooks(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("reading webhooks failed", "err", err)
			}
			sleep(ctx, w.cfg.Poll)
			continue
		}
		started := 0
		for _, h := range hooks {
			due, err := w.d.Webhooks.DueDeliveries(ctx, h.ID, w.d.Clock.Now(), w.cfg.PerWebhook)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Warn("reading due webhook deliveries failed", "webhook", h.ID, "err", err)
				}
				continue
			}
			for _, d := range due {
				if !w.claim(d) {
					continue
				}
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					w.release(d)
					return
				}
				started++
				wg.Add(1)
				go func() {
					defer func() { <-slots; w.release(d); wg.Done() }()
					// The due list may predate an attempt that finished (and released the delivery) since it
					// was read: what the store says now decides, so that a delivery is not sent twice.
					cur, err := w.d.Webhooks.Delivery(ctx, d.ID)
					if err != nil || cur.Status != core.DeliveryPending || cur.NextAttemptAt.After(w.d.Clock.Now()) {
						return
					}
					w.attempt(ctx, h, cur)
				}()
			}
		}
		if started == 0 {
			sleep(ctx, w.cfg.Poll)
		}
	}
}

// claim marks d in flight unless it is already, or its webhook has PerWebhook attempts in flight.
func (w *WebhookDispatcher) claim(d core.WebhookDelivery) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.inFlight[d.ID] || w.perHook[d.WebhookID] >= w.cfg.PerWebhook {
		return false
	}
	w.inFlight[d.ID] = true
	w.perHook[d.WebhookID]++
	return true
}

func (w *WebhookDispatcher) release(d core.WebhookDelivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, d.ID)
	if w.perHook[d.WebhookID]--; w.perHook[d.WebhookID] <= 0 {
		delete(w.perHook, d.WebhookID)
	}
}

// attempt sends d once and stores the outcome: delivered on a 2xx answer; else retried after the back-off, or
// failed once RetryFor has passed since the delivery was made.
func (w *WebhookDispatcher) attempt(ctx context.Context, h core.Webhook, d core.WebhookDelivery) {
	now := w.d.Clock.Now()
	headers := map[string]string{
		"Content-Type":              "application/json",
		core.WebhookIDHeader:        h.ID,
		core.WebhookDeliveryHeader:  d.ID,
		core.WebhookTimestampHeader: strconv.FormatInt(now.Unix(), 10),
		core.WebhookSignatureHeader: core.SignWebhook(h.Secret, now, d.Payload),
	}
	actx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	status, err := w.d.Sender.Send(actx, h.URL, headers, d.Payload)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the attempt did not count, it is made again by the next dispatcher
	}
	end := w.d.Clock.Now()
	d.Attempts++
	d.LastAttemptAt, d.LastStatus, d.LastError = &end, status, ""
	switch {
	case err == nil && status >= 200 && status < 300:
		d.Status, d.DeliveredAt = core.DeliveryDelivered, &end
	case err != nil:
		d.LastError = err.Error()
	default:
		d.LastError = "the receiver answered " + strconv.Itoa(status)
	}
	if d.Status != core.DeliveryDelivered {
		if end.Sub(d.CreatedAt) >= w.cfg.RetryFor {
			d.Status = core.DeliveryFailed
		} else {
			d.NextAttemptAt = end.Add(w.backoff(d.Attempts))
		}
	}
	if err := w.d.Webhooks.UpdateDelivery(context.WithoutCancel(ctx), d); err != nil && !errors.Is(err, core.ErrNotFound) {
		// Not stored: the attempt is made again (at least once); a receiver dedupes by conversation and seq.
		w.log.Warn("storing a webhook delivery's outcome failed", "delivery", d.ID, "err", err)
	}
}

// backoff is the wait after the n-th failed attempt: BackoffMin doubled n-1 times, up to BackoffMax, less up
// to a fifth at random so that deliveries that failed together do not retry together.
func (w *WebhookDispatcher) backoff(n int) time.Duration {
	d := w.cfg.BackoffMin
	for i := 1; i < n && d < w.cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, w.cfg.BackoffMax)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}
