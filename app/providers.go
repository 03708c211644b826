package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scalechat/scalechat/adapters/argon2id"
	"github.com/scalechat/scalechat/adapters/blobfs"
	"github.com/scalechat/scalechat/adapters/clientaddr"
	"github.com/scalechat/scalechat/adapters/jwtauth"
	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/s3"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/adapters/sqlite"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/adapters/webhookhttp"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/web"
)

// Checks are the dependencies /readyz pings, by name.
type Checks map[string]ports.Pinger

// CoreSet builds the use cases from ports; every role that serves clients uses it.
var CoreSet = wire.NewSet(
	ProvideChatConfig,
	wire.Struct(new(chat.Deps), "*"),
	ProvideService,
)

// ClockSet provides the system clock.
var ClockSet = wire.NewSet(wire.InterfaceValue(new(ports.Clock), memory.SystemClock{}))

// SystemSet provides the clock, ids and password hashing of roles that serve clients.
var SystemSet = wire.NewSet(
	ClockSet,
	wire.InterfaceValue(new(ports.IDGenerator), memory.UUIDv7{}),
	ProvideHasher, wire.Bind(new(ports.PasswordHasher), new(*argon2id.Hasher)),
	ProvideIdentity,
)

// InProcessSet provides the standalone role's in-process log, fan-out, presence and rate limiting.
var InProcessSet = wire.NewSet(
	ProvideMemoryLog,
	wire.Bind(new(ports.CommandLog), new(*memory.Log)),
	wire.Bind(new(ports.CommandConsumer), new(*memory.Log)),
	memory.NewFanout, wire.Bind(new(ports.Fanout), new(*memory.Fanout)),
	memory.NewRateLimiter, wire.Bind(new(ports.RateLimiter), new(*memory.RateLimiter)),
	memory.NewPresence, wire.Bind(new(ports.Presence), new(*memory.Presence)),
)

// SQLiteSet binds the SQLite store to every store port.
var SQLiteSet = wire.NewSet(
	ProvideSQLite, ProvideSQLiteChecks,
	wire.Bind(new(ports.UserStore), new(*sqlite.Store)),
	wire.Bind(new(ports.APIKeyStore), new(*sqlite.Store)),
	wire.Bind(new(ports.ModerationStore), new(*sqlite.Store)),
	wire.Bind(new(ports.WebhookStore), new(*sqlite.Store)),
	wire.Bind(new(ports.ChangeFeed), new(*sqlite.Store)),
	wire.Bind(new(ports.Exclusive), new(*sqlite.Store)),
	wire.Bind(new(ports.SessionStore), new(*sqlite.Store)),
	wire.Bind(new(ports.ConversationStore), new(*sqlite.Store)),
	wire.Bind(new(ports.MemberStore), new(*sqlite.Store)),
	wire.Bind(new(ports.ContactStore), new(*sqlite.Store)),
	wire.Bind(new(ports.BlockStore), new(*sqlite.Store)),
	wire.Bind(new(ports.AttachmentStore), new(*sqlite.Store)),
	wire.Bind(new(ports.ThreadStore), new(*sqlite.Store)),
	ProvideBlobStore,
	wire.Bind(new(ports.SummaryStore), new(*sqlite.Store)),
	wire.Bind(new(ports.HistoryStore), new(*sqlite.Store)),
	wire.Bind(new(ports.SearchStore), new(*sqlite.Store)),
	wire.Bind(new(ports.Ledger), new(*sqlite.Store)),
)

// TelemetrySet provides the process's metrics registry and readiness checker; every role has them.
var TelemetrySet = wire.NewSet(telemetry.NewRegistry, ProvideChecker)

// APISet builds the client-facing HTTP surface: REST API, docs, health, metrics and Socket.IO.
var APISet = wire.NewSet(TelemetrySet, rest.NewMetrics, ProvideRealtime, ProvideHandler)

// ProvideChecker pings checks for the readiness probe.
func ProvideChecker(checks Checks, log *slog.Logger) (*telemetry.Checker, error) {
	return telemetry.NewChecker(checks, 0, log)
}

// ProvideSQLite opens (and migrates) the standalone database under cfg.DataDir.
func ProvideSQLite(ctx context.Context, cfg Config, log *slog.Logger) (*sqlite.Store, func(), error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, err
	}
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(cfg.DataDir, "scalechat.db")})
	if err != nil {
		return nil, nil, err
	}
	return store, func() {
		if err := store.Close(); err != nil {
			log.Warn("closing the database", "err", err)
		}
	}, nil
}

// ProvideBlobStore opens the attachment blob store: the S3 bucket of --s3-endpoint when one is set, else files
// under --blob-dir. A distributed role on a directory warns at start: every gateway and worker must share it.
func ProvideBlobStore(ctx context.Context, cfg Config, log *slog.Logger) (ports.BlobStore, error) {
	if cfg.S3Endpoint != "" {
		store, err := s3.Open(ctx, s3.Config{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, PathStyle: cfg.S3PathStyle, Create: true})
		if err != nil {
			return nil, err
		}
		log.Info("attachment blobs in S3", "endpoint", cfg.S3Endpoint, "bucket", cfg.S3Bucket)
		return store, nil
	}
	store, err := blobfs.Open(cfg.BlobDir)
	if err != nil {
		return nil, err
	}
	if cfg.Distributed() {
		log.Warn("attachment blobs on the filesystem: every gateway and worker must share this directory; "+
			"set --s3-endpoint to keep them in S3", "dir", store.Dir())
	}
	return store, nil
}

// ProvideSQLiteChecks makes the database the standalone role's readiness check.
func ProvideSQLiteChecks(store *sqlite.Store) Checks { return Checks{"sqlite": store} }

// ProvideHasher returns the argon2id password hasher at cfg's memory cost.
func ProvideHasher(cfg Config) (*argon2id.Hasher, error) {
	hc := argon2id.DefaultConfig()
	hc.Memory = cfg.PasswordMemKiB
	return argon2id.New(hc, cfg.PasswordQueue)
}

// ProvideIdentity returns the verifier of the host application's tokens (JWT) when --jwt-secret or
// --jwt-jwks-url is set, nil (no application tokens accepted) when neither is.
func ProvideIdentity(ctx context.Context, cfg Config, log *slog.Logger) (ports.IdentityVerifier, func(), error) {
	if cfg.JWTSecret == "" && cfg.JWTJWKSURL == "" {
		return nil, func() {}, nil
	}
	v, err := jwtauth.New(ctx, jwtauth.Config{Secret: []byte(cfg.JWTSecret), JWKSURL: cfg.JWTJWKSURL, Issuer: cfg.JWTIssuer,
		Audience: cfg.JWTAudience, Leeway: cfg.JWTLeeway, NameClaim: cfg.JWTNameClaim, UsernameClaim: cfg.JWTUsernameClaim,
		JWKSRefresh: cfg.JWTJWKSRefresh}, log)
	if err != nil {
		return nil, nil, err
	}
	log.Info("application tokens accepted", "hs256", cfg.JWTSecret != "", "jwks", cfg.JWTJWKSURL, "issuer", cfg.JWTIssuer,
		"audience", cfg.JWTAudience, "passwordAccounts", !cfg.NoPasswordAccounts)
	return v, v.Close, nil
}

// ProvideMemoryLog returns the in-process command log of the standalone role.
func ProvideMemoryLog() *memory.Log { return memory.NewLog(memory.LogConfig{}) }

// ProvideChatConfig maps process configuration onto the use cases' configuration.
func ProvideChatConfig(cfg Config) chat.Config {
	return chat.Config{
		Node:       cfg.Node,
		SessionTTL: cfg.SessionTTL,
		AckTimeout: cfg.AckTimeout,
		// Kafka is durable (acks=all): a send not sequenced in time is acknowledged as accepted. The standalone
		// in-process log is not, so there a send is acknowledged only once committed to SQLite.
		AcceptOnTimeout:    cfg.Distributed(),
		SendRate:           core.Rate{Limit: cfg.SendRateLimit, Per: cfg.SendRatePer},
		Limits:             cfg.Limits,
		PresenceToEveryone: cfg.PresenceVisibility == PresenceEveryone,
		SendAuthTTL:        cfg.SendAuthTTL,
		Uploads:            core.UploadPolicy{MaxBytes: cfg.MaxUploadBytes, Types: cfg.UploadTypes},
		OrphanUploadTTL:    cfg.OrphanUploadTTL,
		NoPasswordAccounts: cfg.NoPasswordAccounts,
	}
}

// ProvideService builds the use cases.
func ProvideService(ctx context.Context, cfg chat.Config, deps chat.Deps) (*chat.Service, func(), error) {
	svc, err := chat.New(ctx, cfg, deps)
	if err != nil {
		return nil, nil, err
	}
	return svc, func() { _ = svc.Close() }, nil
}

// ProvideRealtime builds the Socket.IO endpoint. The server closes it first thing on shutdown, so that clients
// move to another node while in-flight requests finish.
func ProvideRealtime(cfg Config, log *slog.Logger, svc *chat.Service, fanout ports.Fanout,
	reg *prometheus.Registry) (*socketio.Server, error) {
	if err := registerFanoutDrops(reg, fanout); err != nil {
		return nil, err
	}
	return socketio.New(socketio.Config{Node: cfg.Node, MaxPayloadBytes: cfg.MaxBodyBytes,
		MaxSocketsPerUser: cfg.MaxSocketsPerUser, MaxSocketsPerAddress: cfg.MaxSocketsPerAddr, PresenceGrace: cfg.PresenceGrace,
		MaxOutboundBytes: cfg.SocketOutboundBytes, MaxOutboundFrames: cfg.SocketOutboundFrames,
		WriteTimeout: cfg.SocketWriteTimeout, Flushers: cfg.SocketFlushers, Pollers: cfg.SocketPollers, DeliveryShards: cfg.DeliveryShards,
		DeliveryQueue: cfg.DeliveryQueue, TopicLinger: cfg.TopicLinger, ConnectConcurrency: cfg.ConnectConcurrency,
		Logger: log, Metrics: reg}, svc, fanout)
}

// ProvideHandler builds the HTTP handler: Socket.IO at /socket.io/; the REST API, docs, health and metrics at
// their paths (rest.Paths); the embedded web app at / for everything else. Requests that are neither a file of
// the app nor a browser navigation (say GET /v2/x from an API client) get the API's 404 problem.
func ProvideHandler(cfg Config, log *slog.Logger, svc *chat.Service, ready *telemetry.Checker, metrics *rest.Metrics,
	rt *socketio.Server) (http.Handler, error) {
	api, err := rest.New(rest.Config{MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes, Logger: log, NoMetrics: cfg.MetricsAddr != ""},
		svc, ready, metrics)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", rt.Handler())
	api.MountPaths(mux)
	mux.Handle("/", web.New(web.Config{NotFound: api.Handler()}))
	return clientaddr.Middleware(cfg.ClientIPHeader, mux), nil
}

// ProvideSequencing runs the sequencer on the log's consumer, instrumented.
func ProvideSequencing(consumer ports.CommandConsumer, ledger ports.Ledger, fanout ports.Fanout, log *slog.Logger,
	reg *prometheus.Registry) (*Sequencing, error) {
	seq := chat.NewSequencer(ledger, fanout, log)
	handle, err := instrumentBatches(reg, seq.Handle)
	if err != nil {
		return nil, err
	}
	return &Sequencing{Consumer: consumer, Handle: handle}, nil
}

// ProvideWebhooks builds the webhook dispatcher of roles that sequence: it delivers the events of the change
// feed that every store transaction appends to (one process of a deployment at a time).
func ProvideWebhooks(cfg Config, log *slog.Logger, feed ports.ChangeFeed, store ports.WebhookStore,
	history ports.HistoryStore, exclusive ports.Exclusive, reg *prometheus.Registry) (*chat.WebhookDispatcher, func(), error) {
	sender := webhookhttp.New(cfg.Webhooks.Timeout)
	metered, err := instrumentWebhooks(reg, sender)
	if err != nil {
		return nil, nil, err
	}
	d, err := chat.NewWebhookDispatcher(cfg.Webhooks, chat.WebhookDeps{Feed: feed, Webhooks: store, History: history,
		Exclusive: exclusive, Sender: metered, Clock: memory.SystemClock{}, IDs: memory.UUIDv7{}, Logger: log,
		Encode: func(e core.Event) ([]byte, error) { return json.Marshal(schema.EventOf(e)) }})
	if err != nil {
		return nil, nil, err
	}
	return d, sender.Close, nil
}

// NoWebhooks is for roles that leave webhook delivery to others (gateways).
func NoWebhooks() *chat.WebhookDispatcher { return nil }
