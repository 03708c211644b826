package rest

import (
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/scalechat/scalechat/ports"
)

// NewProbes serves only /healthz, /readyz and /metrics: the HTTP surface of a role without the API (a worker).
func NewProbes(cfg Config, checks map[string]ports.Pinger, metrics *Metrics) (*API, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	for name, p := range checks {
		if name == "" || p == nil {
			return nil, errors.New("rest: every readiness check needs a name and a Pinger")
		}
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	s := &server{cfg: cfg, log: cfg.Logger, checks: checks, metrics: metrics}
	mux := http.NewServeMux()
	installErrors()
	hc := huma.DefaultConfig("scalechat probes", DefaultVersion)
	hc.CreateHooks = nil
	hc.OpenAPIPath, hc.DocsPath, hc.SchemasPath = "", "", ""
	api := huma.NewAPI(hc, humago.NewAdapter(mux, ""))
	api.UseMiddleware(s.metrics.middleware)
	registerSystem(registrar{api: api, maxBody: cfg.MaxBodyBytes}, s)
	mux.Handle("GET /metrics", metrics.Handler())
	mux.HandleFunc("/", notFound)
	return &API{mux: mux}, nil
}
