package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// Health is the answer of the liveness probe.
type Health struct {
	Status string `json:"status" enum:"ok" doc:"Always ok: the process serves requests."`
}

// Readiness is the answer of the readiness probe.
type Readiness struct {
	Status string            `json:"status" enum:"ok,unavailable" doc:"ok when every dependency answered."`
	Checks map[string]string `json:"checks" doc:"Per dependency: ok, or why it is not usable."`
}

func registerSystem(r registrar, s *server) {
	huma.Register(r.api, r.public("healthz", http.MethodGet, "/healthz", tagSystem, "Liveness probe",
		"Answers 200 while the process serves requests.", http.StatusOK), s.healthz)
	ready := r.public("readyz", http.MethodGet, "/readyz", tagSystem, "Readiness probe",
		"Pings every dependency (database, broker, ...): 200 when all answer, else 503 with the same body.",
		http.StatusOK)
	also[Readiness](r, &ready, http.StatusServiceUnavailable, "A dependency is not usable.")
	huma.Register(r.api, ready, s.readyz)
}

func (s *server) healthz(context.Context, *struct{}) (*body[Health], error) {
	return &body[Health]{Body: Health{Status: "ok"}}, nil
}

func (s *server) readyz(ctx context.Context, _ *struct{}) (*withStatus[Readiness], error) {
	out := Readiness{Status: "ok", Checks: make(map[string]string, len(s.checks))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range s.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
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
	status := http.StatusOK
	for name, result := range out.Checks {
		if result != "ok" {
			status, out.Status = http.StatusServiceUnavailable, "unavailable"
			s.log.WarnContext(ctx, "readiness check failed", "check", name, "err", result)
		}
	}
	return &withStatus[Readiness]{Status: status, Body: out}, nil
}

// ownSpecRoutes drops the /openapi.* routes Huma registers: they render the document lazily on first request
// without locking. serveSpec serves bytes rendered once, before the API takes requests.
type ownSpecRoutes struct{ huma.Adapter }

// Handle implements huma.Adapter.
func (a ownSpecRoutes) Handle(op *huma.Operation, handler func(huma.Context)) {
	if op.OperationID == "" && strings.HasPrefix(op.Path, "/openapi") {
		return
	}
	a.Adapter.Handle(op, handler)
}

// serveSpec serves the OpenAPI document as /openapi.yaml and /openapi.json, and its 3.0 downgrade as
// /openapi-3.0.yaml and /openapi-3.0.json.
func serveSpec(mux *http.ServeMux, spec *huma.OpenAPI) error {
	yaml, err := spec.YAML()
	if err != nil {
		return err
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	yaml30, err := spec.DowngradeYAML()
	if err != nil {
		return err
	}
	js30, err := spec.Downgrade()
	if err != nil {
		return err
	}
	for path, doc := range map[string]struct {
		ct   string
		body []byte
	}{
		"/openapi.yaml":     {"application/openapi+yaml", yaml},
		"/openapi.json":     {"application/openapi+json", js},
		"/openapi-3.0.yaml": {"application/openapi+yaml", yaml30},
		"/openapi-3.0.json": {"application/openapi+json", js30},
	} {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", doc.ct)
			_, _ = w.Write(doc.body)
		})
	}
	return nil
}
