// Package rest is scalechat's REST adapter: a Huma v2 API (OpenAPI 3.1) on a net/http ServeMux, with bearer
// token auth, RFC 9457 problem+json errors, health and readiness probes and request metrics. It translates
// HTTP to the chat use cases and core error codes to HTTP statuses; it holds no state of its own.
package rest

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// Defaults of Config.
const (
	DefaultTitle        = "scalechat"
	DefaultVersion      = "1.0.0" // the version of the API contract, not of the binary
	DefaultMaxBodyBytes = 64 << 10
	uploadOverheadBytes = 64 << 10 // multipart boundaries and part headers around an uploaded file
	minMaxBodyBytes     = 1 << 10
)

// Config configures the REST API. Zero values take the defaults above. Title and Version are written into the
// OpenAPI document: leave them empty so that the served /openapi.yaml equals Spec().
type Config struct {
	Title        string // OpenAPI info.title
	Version      string // OpenAPI info.version
	MaxBodyBytes int64  // largest accepted request body; larger ones get 413
	// MaxUploadBytes is the largest attachment upload (the file; its multipart request may be
	// uploadOverheadBytes larger). It should match the use cases' limit, which answers 413 as well.
	MaxUploadBytes int64
	NoMetrics      bool         // /metrics is served elsewhere (a listener of its own), not by the API
	Logger         *slog.Logger // where internal errors are logged; slog.Default() when nil
}

// withDefaults fills in defaults and validates c.
func (c Config) withDefaults() (Config, error) {
	if c.Title == "" {
		c.Title = DefaultTitle
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = core.DefaultMaxUploadBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBodyBytes < minMaxBodyBytes {
		return c, errors.New("rest: MaxBodyBytes must be at least 1 KiB")
	}
	return c, nil
}

// API is the REST API, ready to serve.
type API struct {
	mux *http.ServeMux
}

// New builds the API over svc. ready answers /readyz; metrics (REST collectors on the process's registry) also
// serves /metrics.
func New(cfg Config, svc *chat.Service, ready *telemetry.Checker, metrics *Metrics) (*API, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if svc == nil || ready == nil || metrics == nil {
		return nil, errors.New("rest: a chat service, a readiness checker and metrics are required")
	}
	s := &server{svc: svc, cfg: cfg, log: cfg.Logger, ready: ready, metrics: metrics}
	mux := http.NewServeMux()
	api := build(cfg, mux, s)
	if err := serveSpec(mux, api.OpenAPI()); err != nil {
		return nil, err
	}
	if !cfg.NoMetrics {
		mux.Handle("GET /metrics", telemetry.MetricsHandler(metrics.reg))
	}
	mux.HandleFunc("/", notFound)
	return &API{mux: mux}, nil
}

// Paths are the URL patterns the API serves (for http.ServeMux): the operations under /v1/, the OpenAPI
// documents and docs, probes and metrics. MountPaths routes them; everything else can go elsewhere (the web app).
var Paths = []string{
	"/v1/", "/docs", "/openapi.yaml", "/openapi.json", "/openapi-3.0.yaml", "/openapi-3.0.json",
	"/healthz", "/readyz", "/metrics",
}

// Handler returns the API's handler. It answers every path: unknown ones get a 404 problem.
func (a *API) Handler() http.Handler { return a.mux }

// Mount routes "/" of mux to the API. Handlers mounted on mux under more specific patterns (such as
// "/socket.io/") keep their paths.
func (a *API) Mount(mux *http.ServeMux) { mux.Handle("/", a.mux) }

// MountPaths routes the API's own Paths of mux to the API and leaves "/" to the caller.
func (a *API) MountPaths(mux *http.ServeMux) {
	for _, p := range Paths {
		mux.Handle(p, a.mux)
	}
}

// Spec returns the OpenAPI 3.1 document as YAML, built without a service or a server. It is byte-identical to
// what a default-configured API serves at /openapi.yaml.
func Spec() ([]byte, error) {
	return specAPI().OpenAPI().YAML()
}

// Spec30 returns the OpenAPI document downgraded to 3.0 as YAML, for generators that do not read 3.1 yet.
func Spec30() ([]byte, error) {
	return specAPI().OpenAPI().DowngradeYAML()
}

// specAPI builds the operations on a throwaway mux, with a server that is never called.
func specAPI() huma.API {
	cfg, _ := Config{}.withDefaults() // the defaults are valid
	return build(cfg, http.NewServeMux(), &server{cfg: cfg, log: cfg.Logger})
}

// build creates the Huma API on mux and registers every operation. New and Spec both go through it, so the
// served document and the generated one cannot drift.
func build(cfg Config, mux *http.ServeMux, s *server) huma.API {
	installErrors()
	hc := huma.DefaultConfig(cfg.Title, cfg.Version)
	hc.Info.Description = apiDescription
	hc.CreateHooks = nil // no $schema links injected into bodies
	hc.Formats = map[string]huma.Format{"application/json": strictJSON, "json": strictJSON}
	hc.SchemasPath = ""
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{bearerScheme: {
		Type: "http", Scheme: "bearer", BearerFormat: "opaque or JWT",
		Description: "A session token from createSession, or a JSON Web Token signed by the application scalechat is " +
			"embedded in (when the server is configured to accept them: --jwt-secret or --jwt-jwks-url), sent as " +
			"`Authorization: Bearer <token>`. A refused token is a 401 whose detail says why (signature, issuer, " +
			"audience, expiry).",
	}}
	hc.Tags = []*huma.Tag{
		{Name: tagUsers, Description: "Accounts and user directory."},
		{Name: tagSessions, Description: "Log in and log out."},
		{Name: tagConversations, Description: "Direct conversations, groups and channels."},
		{Name: tagMembers, Description: "Membership and roles."},
		{Name: tagMessages, Description: "Messages, history, events and read positions."},
		{Name: tagAttachments, Description: "Files uploaded into conversations, their downloads and thumbnails."},
		{Name: tagSystem, Description: "Health, readiness."},
		{Name: tagAdmin, Description: "The admin API, for admin API keys: API keys and bots."},
	}
	api := huma.NewAPI(hc, ownSpecRoutes{humago.NewAdapter(mux, "")})
	if s.metrics != nil {
		api.UseMiddleware(s.metrics.middleware)
	}
	api.UseMiddleware(noStore, s.authenticate(api))
	r := registrar{api: api, maxBody: cfg.MaxBodyBytes, maxUpload: cfg.MaxUploadBytes + uploadOverheadBytes}
	registerUsers(r, s)
	registerConversations(r, s)
	registerMembers(r, s)
	registerMessages(r, s)
	registerPresence(r, s)
	registerBlocks(r, s)
	registerReactions(r, s)
	registerMentions(r, s)
	registerThreads(r, s)
	registerAttachments(r, s)
	registerSearch(r, s)
	registerSystem(r, s)
	registerAdmin(r, s)
	registerModeration(r, s)
	registerWebhooks(r, s)
	r.documentInputErrors()
	return api
}

const apiDescription = `The scalechat REST API: accounts, conversations, membership and history.
Real-time delivery runs over Socket.IO at /socket.io/.

Authenticate with a token from createSession: ` + "`Authorization: Bearer <token>`" + `.

Errors are RFC 9457 problem details (application/problem+json) with a ` + "`code`" + ` member from a closed set:
invalid_argument (400), unauthenticated (401), permission_denied (403), not_found (404), already_exists (409),
conflict (409), rate_limited (429, with Retry-After and retryAfterMs), too_large (413), unavailable (503) and
internal (500).
Lists are cursor-paged: pass a page's ` + "`next`" + ` back as ` + "`cursor`" + `; it is absent on the last page.`
