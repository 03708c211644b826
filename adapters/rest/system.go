package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/telemetry"
)

func registerSystem(r registrar, s *server) {
	huma.Register(r.api, r.public("healthz", http.MethodGet, "/healthz", tagSystem, "Liveness probe",
		"Answers 200 while the process serves requests.", http.StatusOK), s.healthz)
	ready := r.public("readyz", http.MethodGet, "/readyz", tagSystem, "Readiness probe",
		"Pings every dependency (database, broker, ...): 200 when all answer, else 503 with the same body.",
		http.StatusOK)
	also[telemetry.Readiness](r, &ready, http.StatusServiceUnavailable, "A dependency is not usable.")
	huma.Register(r.api, ready, s.readyz)
}

func (s *server) healthz(context.Context, *struct{}) (*body[telemetry.Health], error) {
	return &body[telemetry.Health]{Body: telemetry.Health{Status: "ok"}}, nil
}

func (s *server) readyz(ctx context.Context, _ *struct{}) (*withStatus[telemetry.Readiness], error) {
	out, ok := s.ready.Ready(ctx)
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	return &withStatus[telemetry.Readiness]{Status: status, Body: out}, nil
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
