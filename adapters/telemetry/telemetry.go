// Package telemetry is what every role exposes about itself: a Prometheus registry that each adapter adds its
// collectors to, the liveness and readiness probes, and the small HTTP surface of a role without the API (a
// worker: /healthz, /readyz and /metrics). The REST API serves the same probes as documented operations.
package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scalechat/scalechat/ports"
)

// NewRegistry returns a registry holding the Go runtime and process collectors. There is no global
// registration: adapters register their collectors on the registry they are given.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves reg in the Prometheus exposition format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Health is the answer of the liveness probe.
type Health struct {
	Status string `json:"status" enum:"ok" doc:"Always ok: the process serves requests."`
}

// Readiness is the answer of the readiness probe.
type Readiness struct {
	Status string            `json:"status" enum:"ok,unavailable" doc:"ok when every dependency answered."`
	Checks map[string]string `json:"checks" doc:"Per dependency: ok, or why it is not usable."`
}

// DefaultReadyTimeout bounds each dependency's Ping in a readiness check.
const DefaultReadyTimeout = 2 * time.Second

// Checker pings a role's dependencies for the readiness probe, all at once, each within a timeout.
type Checker struct {
	checks  map[string]ports.Pinger
	timeout time.Duration
	log     *slog.Logger
}

// NewChecker returns a checker of checks (by name). timeout 0 means DefaultReadyTimeout; log may be nil.
func NewChecker(checks map[string]ports.Pinger, timeout time.Duration, log *slog.Logger) (*Checker, error) {
	for name, p := range checks {
		if name == "" || p == nil {
			return nil, errors.New("telemetry: every readiness check needs a name and a Pinger")
		}
	}
	if timeout < 0 {
		return nil, errors.New("telemetry: the readiness timeout must not be negative")
	}
	if timeout == 0 {
		timeout = DefaultReadyTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	return &Checker{checks: checks, timeout: timeout, log: log}, nil
}

// Ready pings every dependency and reports whether all answered; failures are logged.
func (c *Checker) Ready(ctx context.Context) (Readiness, bool) {
	out := Readiness{Status: "ok", Checks: make(map[string]string, len(c.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range c.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			result := "ok"
			if err := p.Ping(ctx); err != nil {
				result = err.Error()
			}
			mu.Lock()
			out.Checks[name] = result
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, result := range out.Checks {
		if result != "ok" {
			out.Status = "unavailable"
			c.log.WarnContext(ctx, "readiness check failed", "check", name, "err", result)
		}
	}
	return out, out.Status == "ok"
}

// ProbeHandler serves /healthz, /readyz (200, or 503 with the same body) and /metrics, and 404 elsewhere.
func ProbeHandler(c *Checker, reg *prometheus.Registry) http.Handler { // reg nil: no /metrics here
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, Health{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		out, ok := c.Ready(r.Context())
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, out)
	})
	if reg != nil {
		mux.Handle("GET /metrics", MetricsHandler(reg))
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
