package rest

import (
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the API's request and message collectors, registered on the process's registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	sent     prometheus.Counter
}

// NewMetrics creates the API's collectors on reg (see telemetry.NewRegistry), which /metrics then serves.
func NewMetrics(reg *prometheus.Registry) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scalechat_http_requests_total",
			Help: "REST requests handled, by operationId and status code.",
		}, []string{"operation", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scalechat_http_request_duration_seconds",
			Help:    "REST request latency, by operationId and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "status"}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scalechat_messages_sent_total",
			Help: "Messages sent through the REST API (retries of a stored clientMsgId not counted).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.sent} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// middleware is a Huma middleware counting and timing every operation.
func (m *Metrics) middleware(ctx huma.Context, next func(huma.Context)) {
	start := time.Now()
	next(ctx)
	labels := prometheus.Labels{"operation": ctx.Operation().OperationID, "status": strconv.Itoa(ctx.Status())}
	m.requests.With(labels).Inc()
	m.latency.With(labels).Observe(time.Since(start).Seconds())
}

// messageSent counts one new message. It is safe on a nil *Metrics.
func (m *Metrics) messageSent() {
	if m != nil {
		m.sent.Inc()
	}
}
