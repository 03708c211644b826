package rest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the API's Prometheus collectors in a registry of its own (no global registration).
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	sent     prometheus.Counter
}

// NewMetrics creates the collectors, plus the Go runtime and process collectors, in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
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
	m.reg.MustRegister(m.requests, m.latency, m.sent,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, so that other adapters can add their collectors to the same /metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
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
