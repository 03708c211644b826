package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// instrumentBatches wraps the sequencer's batch handler with metrics: batch sizes and durations, and failed
// batches (which the log delivers again).
func instrumentBatches(reg prometheus.Registerer, handle func(context.Context, []core.SendCommand) error) (func(context.Context, []core.SendCommand) error, error) {
	size := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scalechat_sequencer_batch_size",
		Help: "Commands per sequenced batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)})
	seconds := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scalechat_sequencer_batch_seconds",
		Help: "Time to sequence, store and fan out one batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	failed := prometheus.NewCounter(prometheus.CounterOpts{Name: "scalechat_sequencer_batch_failures_total",
		Help: "Batches that failed and will be delivered again."})
	for _, c := range []prometheus.Collector{size, seconds, failed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, batch []core.SendCommand) error {
		start := time.Now()
		err := handle(ctx, batch)
		seconds.Observe(time.Since(start).Seconds())
		size.Observe(float64(len(batch)))
		if err != nil {
			failed.Inc()
		}
		return err
	}, nil
}

// registerFanoutDrops exports the fan-out adapter's own drop count (envelopes its subscription queue could not
// hold), when it keeps one.
func registerFanoutDrops(reg prometheus.Registerer, fanout ports.Fanout) error {
	d, ok := fanout.(interface{ Dropped() int64 })
	if !ok {
		return nil
	}
	return reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scalechat_fanout_dropped_total",
		Help: "Fan-out envelopes dropped by this node's subscription (its queue was full, or a message could not be decoded)."},
		func() float64 { return float64(d.Dropped()) }))
}

// meteredSender counts webhook delivery attempts by outcome and times them.
type meteredSender struct {
	next     ports.WebhookSender
	attempts *prometheus.CounterVec
	seconds  prometheus.Histogram
}

// instrumentWebhooks wraps the webhook sender with metrics: attempts by outcome (delivered: a 2xx answer;
// refused: another status; failed: no answer in time or no connection) and their durations.
func instrumentWebhooks(reg prometheus.Registerer, next ports.WebhookSender) (ports.WebhookSender, error) {
	s := &meteredSender{next: next,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scalechat_webhook_attempts_total",
			Help: "Webhook delivery attempts, by outcome: delivered (2xx), refused (another status), failed (no answer)."},
			[]string{"outcome"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scalechat_webhook_attempt_seconds",
			Help: "Duration of one webhook delivery attempt, answer included.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)})}
	for _, c := range []prometheus.Collector{s.attempts, s.seconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, o := range []string{"delivered", "refused", "failed"} {
		s.attempts.WithLabelValues(o) // exported at 0 from the start
	}
	return s, nil
}

func (s *meteredSender) Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	start := time.Now()
	status, err := s.next.Send(ctx, url, headers, body)
	s.seconds.Observe(time.Since(start).Seconds())
	switch {
	case err != nil:
		s.attempts.WithLabelValues("failed").Inc()
	case status >= 200 && status < 300:
		s.attempts.WithLabelValues("delivered").Inc()
	default:
		s.attempts.WithLabelValues("refused").Inc()
	}
	return status, err
}
