package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// Roles a process can run.
const (
	RoleStandalone = "standalone" // everything in one process on embedded storage
	RoleGateway    = "gateway"    // REST + Socket.IO on Kafka, Redis and PostgreSQL
	RoleWorker     = "worker"     // Kafka consumer: sequences, persists, fans out
	RoleAll        = "all"        // gateway + worker in one process, external services
)

// Who sees a user's presence.
const (
	PresenceContacts = "contacts" // people who share a direct or group conversation with the user
	PresenceEveryone = "everyone" // any signed-in user
)

// Roles lists every role.
var Roles = []string{RoleStandalone, RoleGateway, RoleWorker, RoleAll}

// Config is everything a process reads from flags and SCALECHAT_* environment variables. It is read only here;
// every package below app takes its own validated Config.
type Config struct {
	Role               string
	Addr               string
	DataDir            string
	LogLevel           string
	Node               string
	SessionTTL         time.Duration
	SessionSweepEvery  time.Duration // 0: expired sessions are not swept
	AckTimeout         time.Duration
	SendAuthTTL        time.Duration
	SequencerConsumers int
	SendRateLimit      int
	SendRatePer        time.Duration
	MaxBodyBytes       int64
	ShutdownTimeout    time.Duration
	PasswordMemKiB     uint32 // argon2id memory cost; lowered in tests to keep them fast
	MaxSocketsPerUser  int
	MaxSocketsPerAddr  int
	PresenceGrace      time.Duration
	DebugAddr          string // loopback listener for net/http/pprof; empty: none
	MetricsAddr        string // listener of /metrics alone; empty: /metrics is on Addr
	ClientIPHeader     string // request header naming the client address (set by a trusted proxy); empty: the peer
	Limits             chat.Limits
	PasswordQueue      int    // password hashes that may wait for a slot
	PresenceVisibility string // contacts or everyone

	MaxUploadBytes  int64
	UploadTypes     []string
	OrphanUploadTTL time.Duration
	BlobDir         string // blobs on the filesystem; "": <data-dir>/blobs
	S3Endpoint      string // blobs in S3 instead (distributed roles)
	S3Bucket        string
	S3AccessKey     string
	S3SecretKey     string
	S3Region        string
	S3PathStyle     bool

	SocketOutboundBytes  int
	SocketOutboundFrames int
	SocketWriteTimeout   time.Duration
	SocketFlushers       int
	SocketPollers        int // -1: none
	DeliveryShards       int
	DeliveryQueue        int
	TopicLinger          time.Duration
	ConnectConcurrency   int

	// Identity of the host application (JWT); see the README's "Embedding".
	JWTSecret          string        // HS256 shared secret; "": HS256 refused
	JWTJWKSURL         string        // JWKS of RS256/ES256/EdDSA keys; "": those refused
	JWTIssuer          string        // required with a secret or JWKS URL
	JWTAudience        string        // required with a secret or JWKS URL
	JWTLeeway          time.Duration // clock skew allowed
	JWTNameClaim       string
	JWTUsernameClaim   string
	JWTJWKSRefresh     time.Duration
	NoPasswordAccounts bool // --password-accounts=false

	Webhooks chat.WebhookConfig // delivery of webhooks (standalone, worker and all roles)

	PostgresURL         string
	PostgresMaxConns    int32
	SearchLanguage      string
	RedisURL            string
	RedisPrefix         string
	KafkaBrokers        []string
	KafkaTopic          string
	KafkaPartitions     int
	KafkaGroup          string
	KafkaSessionTimeout time.Duration
	KafkaProduceLinger  time.Duration
	KafkaMaxBatch       int
	KafkaBatchLinger    time.Duration
	KafkaBatchGap       time.Duration
}

// Distributed reports whether the role runs on Kafka, Redis and PostgreSQL.
func (c Config) Distributed() bool { return c.Role != RoleStandalone }

// Parse reads args (after the subcommand) and the environment. A flag wins over its environment variable.
func Parse(args []string, getenv func(string) string) (Config, error) {
	c := Config{}
	fs := flag.NewFlagSet("scalechat", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv("SCALECHAT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	var errs []error
	str := func(p *string, name, def, help string) { fs.StringVar(p, name, env(name, def), help) }
	dur := func(p *time.Duration, name string, def time.Duration, help string) {
		v, err := time.ParseDuration(env(name, def.String()))
		if err != nil {
			errs = append(errs, fmt.Errorf("SCALECHAT_%s: %w", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), err))
		}
		fs.DurationVar(p, name, v, help)
	}
	num := func(p *int64, name string, def int64, help string) {
		v, err := strconv.ParseInt(env(name, strconv.FormatInt(def, 10)), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("SCALECHAT_%s: %w", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), err))
		}
		fs.Int64Var(p, name, v, help)
	}
	host, _ := os.Hostname()
	var rate, mem, sockets, partitions, outBytes, outFrames, flushers, pollers, shards, dqueue, setups, pgConns, consumers, maxBatch int64
	var brokers, limits, uploadTypes string
	var hashQueue, addrSockets int64
	var hookConcurrency, hookPerReceiver int64
	hooks := chat.DefaultWebhookConfig()
	str(&c.Role, "role", RoleStandalone, "role to run: standalone, gateway, worker or all")
	str(&c.Addr, "addr", ":8080", "HTTP listen address (REST, Socket.IO, web app)")
	str(&c.DataDir, "data-dir", "./data", "standalone: directory of the SQLite database")
	str(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	str(&c.Node, "node", fmt.Sprintf("%s-%d", host, os.Getpid()), "this process's id in a cluster (default host-pid)")
	dur(&c.SessionTTL, "session-ttl", 30*24*time.Hour, "how long a login lasts")
	dur(&c.SessionSweepEvery, "session-sweep-every", 10*time.Minute,
		"how often expired sessions are deleted, in the roles that sequence (0: never)")
	dur(&c.AckTimeout, "ack-timeout", 5*time.Second, "how long a send waits to be sequenced")
	dur(&c.SendAuthTTL, "send-auth-ttl", 5*time.Second, "how long a member may send without the gateway re-reading the membership (the sequencer always checks); 0: every send")
	num(&rate, "send-rate-limit", 50, "messages a user may send per --send-rate-per")
	dur(&c.SendRatePer, "send-rate-per", 10*time.Second, "window of --send-rate-limit")
	num(&c.MaxBodyBytes, "max-body-bytes", 64<<10, "largest accepted request body")
	dur(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "grace period for in-flight requests on SIGTERM")
	num(&mem, "password-memory-kib", 19*1024, "argon2id memory cost per password hash")
	num(&sockets, "max-sockets-per-user", 20, "Socket.IO connections one user may hold on this node")
	num(&addrSockets, "max-sockets-per-address", 1000, "Socket.IO connections one client address may hold on this node")
	dur(&c.PresenceGrace, "presence-grace", 3*time.Second, "how long after its last socket closes a user turns offline")
	num(&outBytes, "socket-outbound-bytes", 4<<20, "bytes queued for one socket before it is closed as too slow")
	num(&outFrames, "socket-outbound-frames", 16384, "packets queued for one socket before it is closed as too slow")
	dur(&c.SocketWriteTimeout, "socket-write-timeout", 10*time.Second, "bound of a write to a socket whose buffer is full")
	num(&flushers, "socket-flushers", 0, "goroutines writing socket queues (0: one per CPU)")
	num(&pollers, "socket-pollers", 0, "epoll sets idle websockets wait in, Linux (0: one per CPU; -1: a reader goroutine per socket instead)")
	num(&shards, "delivery-shards", 0, "goroutines broadcasting to rooms, by topic (0: two per CPU)")
	num(&dqueue, "delivery-queue", 8192, "envelopes one delivery shard may have waiting before it drops (counted)")
	dur(&c.TopicLinger, "topic-linger", 10*time.Second, "how long a node stays subscribed to a topic its sockets left")
	num(&setups, "connect-concurrency", 0, "socket set-ups (auth, rooms, presence) run at once (0: eight per CPU)")
	str(&c.MetricsAddr, "metrics-addr", "", "serve /metrics on this address alone instead of on --addr (e.g. 127.0.0.1:9100)")
	str(&c.ClientIPHeader, "client-ip-header", "", "header a trusted proxy sets to the client address (e.g. X-Forwarded-For; its right-most entry is used); empty: the peer address")
	str(&limits, "rate-limits", "", "override rate limits: name=N/duration,... or name=off, *=off (see the README's Limits table)")
	num(&hashQueue, "password-queue", 32, "password hashes that may wait for a free hashing slot; beyond, log-ins get 503")
	str(&c.PresenceVisibility, "presence-visibility", PresenceContacts, "who sees a user's presence: contacts (who share a direct or group conversation) or everyone")
	num(&c.MaxUploadBytes, "max-upload-bytes", core.DefaultMaxUploadBytes, "largest accepted attachment upload (413 beyond)")
	str(&uploadTypes, "upload-types", strings.Join(core.DefaultUploadTypes, ","), "comma-separated content types accepted as attachments, judged by sniffing the bytes")
	dur(&c.OrphanUploadTTL, "orphan-upload-ttl", chat.DefaultOrphanUploadTTL, "how long an upload may stay unattached to a message before it is deleted (swept every --session-sweep-every)")
	str(&c.BlobDir, "blob-dir", "", "directory of attachment blobs (default <data-dir>/blobs); distributed roles without --s3-endpoint need one every gateway and worker shares")
	str(&c.S3Endpoint, "s3-endpoint", "", "distributed roles: S3-compatible endpoint of attachment blobs, e.g. http://127.0.0.1:7070 (empty: --blob-dir)")
	str(&c.S3Bucket, "s3-bucket", "scalechat", "S3 bucket of attachment blobs (created if missing)")
	str(&c.S3AccessKey, "s3-access-key", "", "S3 access key")
	str(&c.S3SecretKey, "s3-secret-key", "", "S3 secret key")
	str(&c.S3Region, "s3-region", "us-east-1", "S3 region")
	fs.BoolVar(&c.S3PathStyle, "s3-path-style", env("s3-path-style", "true") == "true", "address the bucket as endpoint/bucket (most self-hosted stores) instead of bucket.endpoint")
	str(&c.JWTSecret, "jwt-secret", "", "accept the host application's HS256 tokens signed with this shared secret (at least 32 bytes; prefer SCALECHAT_JWT_SECRET to the flag)")
	str(&c.JWTJWKSURL, "jwt-jwks-url", "", "accept the host application's RS256/ES256/EdDSA tokens signed with the keys of this JSON Web Key Set")
	str(&c.JWTIssuer, "jwt-issuer", "", "the iss claim every application token must carry (required with --jwt-secret or --jwt-jwks-url)")
	str(&c.JWTAudience, "jwt-audience", "", "a value the aud claim of every application token must hold (required with --jwt-secret or --jwt-jwks-url)")
	dur(&c.JWTLeeway, "jwt-leeway", time.Minute, "clock skew allowed on the exp, nbf and iat of application tokens")
	str(&c.JWTNameClaim, "jwt-name-claim", "name", "claim of an application user's display name")
	str(&c.JWTUsernameClaim, "jwt-username-claim", "preferred_username", "claim of an application user's preferred username")
	dur(&c.JWTJWKSRefresh, "jwt-jwks-refresh", 15*time.Minute, "how often the JWKS is fetched again (also when a token names an unknown key, at most every 10 s)")
	fs.BoolVar(&c.NoPasswordAccounts, "no-password-accounts", env("no-password-accounts", "false") == "true", "switch password accounts off: register, password log-in and password change are refused; users sign in with application tokens")
	dur(&c.Webhooks.Timeout, "webhook-timeout", hooks.Timeout, "webhooks: how long one delivery attempt may take, answer included")
	dur(&c.Webhooks.RetryFor, "webhook-retry-for", hooks.RetryFor, "webhooks: how long a failing delivery is retried before it is given up")
	dur(&c.Webhooks.BackoffMin, "webhook-backoff-min", hooks.BackoffMin, "webhooks: the wait after a first failed attempt (it doubles with each failure)")
	dur(&c.Webhooks.BackoffMax, "webhook-backoff-max", hooks.BackoffMax, "webhooks: the longest wait between two attempts")
	dur(&c.Webhooks.Poll, "webhook-poll", hooks.Poll, "webhooks: how often new events and due retries are looked for when idle")
	dur(&c.Webhooks.Retention, "webhook-log-retention", hooks.Retention, "webhooks: how long delivered and failed deliveries stay in the delivery log")
	num(&hookConcurrency, "webhook-concurrency", int64(hooks.Concurrency), "webhooks: delivery attempts in flight at once")
	num(&hookPerReceiver, "webhook-per-receiver", int64(hooks.PerWebhook), "webhooks: attempts in flight to one webhook at once (a slow receiver takes no more)")
	str(&c.DebugAddr, "debug-addr", "", "serve net/http/pprof here (loopback only, e.g. 127.0.0.1:6060); empty: off")
	str(&c.PostgresURL, "postgres-url", "", "distributed roles: PostgreSQL URL, e.g. postgres://user@host:5432/db")
	num(&pgConns, "postgres-max-conns", 10, "distributed roles: PostgreSQL connections per process")
	str(&c.SearchLanguage, "search-language", "simple", "distributed roles: PostgreSQL text search configuration of message search (e.g. english; simple: no stemming)")
	str(&c.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "distributed roles: Redis URL")
	str(&c.RedisPrefix, "redis-prefix", "scalechat:", "distributed roles: prefix of every Redis key and channel")
	str(&brokers, "kafka-brokers", "127.0.0.1:9092", "distributed roles: comma-separated Kafka bootstrap brokers")
	str(&c.KafkaTopic, "kafka-topic", "scalechat.commands", "distributed roles: topic of send commands")
	num(&consumers, "sequencer-consumers", 4, "distributed roles: consumer-group members per worker process, each sequencing its own partitions")
	num(&partitions, "kafka-partitions", 12, "partitions of the topic when scalechat creates it")
	str(&c.KafkaGroup, "kafka-group", "scalechat-workers", "consumer group of the workers")
	dur(&c.KafkaSessionTimeout, "kafka-session-timeout", 10*time.Second, "how long before a silent worker's partitions move")
	dur(&c.KafkaProduceLinger, "kafka-produce-linger", kafka.DefaultBatchTimeout, "distributed roles: how long a gateway's producer waits for more commands before sending a batch")
	num(&maxBatch, "kafka-max-batch", kafka.DefaultMaxBatch, "distributed roles: most commands a worker sequences in one batch (one database transaction)")
	dur(&c.KafkaBatchLinger, "kafka-batch-linger", kafka.DefaultBatchLinger, "distributed roles: longest a worker waits for more commands after a batch's first")
	dur(&c.KafkaBatchGap, "kafka-batch-gap", kafka.DefaultBatchGap, "distributed roles: a worker's batch goes when no command came for this long")
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c.SendRateLimit, c.PasswordMemKiB, c.MaxSocketsPerUser = int(rate), uint32(mem), int(sockets)
	c.KafkaPartitions, c.KafkaMaxBatch = int(partitions), int(min(max(maxBatch, -1), 1<<20))
	c.SequencerConsumers = int(min(max(consumers, -1), 1024))
	c.SocketOutboundBytes, c.SocketOutboundFrames = int(outBytes), int(outFrames)
	c.SocketFlushers, c.DeliveryShards, c.DeliveryQueue = int(flushers), int(shards), int(dqueue)
	c.SocketPollers = int(min(max(pollers, -1), 1024))
	c.ConnectConcurrency = int(setups)
	c.PasswordQueue = int(min(max(hashQueue, -1), 1<<20))
	c.MaxSocketsPerAddr = int(min(max(addrSockets, -1), 1<<30))
	c.Webhooks.Concurrency = int(min(max(hookConcurrency, -1), 1<<16))
	c.Webhooks.PerWebhook = int(min(max(hookPerReceiver, -1), 1<<16))
	c.Webhooks.FeedBatch, c.Webhooks.PruneEvery = hooks.FeedBatch, hooks.PruneEvery
	var err error
	if c.UploadTypes, err = core.ParseUploadTypes(uploadTypes); err != nil {
		return c, fmt.Errorf("--upload-types: %w", err)
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.Limits, err = chat.ParseLimits(chat.DefaultLimits(), limits); err != nil {
		return c, fmt.Errorf("--rate-limits: %w", err)
	}
	c.PostgresMaxConns = int32(min(max(pgConns, -1), 1<<20))
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.KafkaBrokers = append(c.KafkaBrokers, b)
		}
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	if !slices.Contains(Roles, c.Role) {
		errs = append(errs, fmt.Errorf("--role %q: want one of %s", c.Role, strings.Join(Roles, ", ")))
	}
	if c.Distributed() && (c.PostgresURL == "" || c.RedisURL == "" || len(c.KafkaBrokers) == 0 || c.KafkaTopic == "") {
		errs = append(errs, fmt.Errorf("--role %s needs --postgres-url, --redis-url, --kafka-brokers and --kafka-topic", c.Role))
	}
	if c.SequencerConsumers < 1 {
		errs = append(errs, errors.New("--sequencer-consumers must be positive"))
	}
	if c.PostgresMaxConns < 1 {
		errs = append(errs, errors.New("--postgres-max-conns must be positive"))
	}
	if c.KafkaPartitions < 1 || c.KafkaSessionTimeout <= 0 || c.KafkaMaxBatch < 1 || c.KafkaProduceLinger <= 0 ||
		c.KafkaBatchLinger <= 0 || c.KafkaBatchGap <= 0 {
		errs = append(errs, errors.New("--kafka-partitions, --kafka-session-timeout, --kafka-max-batch, --kafka-produce-linger, --kafka-batch-linger and --kafka-batch-gap must be positive"))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("--addr is required"))
	}
	if c.Role == RoleStandalone && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required for the standalone role"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.SendRateLimit < 1 || c.SendRatePer <= 0 || c.SessionTTL <= 0 || c.SessionSweepEvery < 0 || c.AckTimeout <= 0 || c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("limits must be positive (and --max-body-bytes at least 1024)"))
	}
	if c.SendAuthTTL < 0 {
		errs = append(errs, errors.New("--send-auth-ttl must not be negative"))
	}
	if c.MaxSocketsPerUser < 1 || c.MaxSocketsPerAddr < 1 || c.PresenceGrace < 0 {
		errs = append(errs, errors.New("--max-sockets-per-user and --max-sockets-per-address must be positive and --presence-grace not negative"))
	}
	if c.SocketOutboundBytes < 1024 || c.SocketOutboundFrames < 16 || c.SocketWriteTimeout <= 0 ||
		c.SocketFlushers < 0 || c.DeliveryShards < 0 || c.DeliveryQueue < 1 || c.TopicLinger < 0 ||
		c.ConnectConcurrency < 0 {
		errs = append(errs, errors.New("socket limits must be positive (--socket-outbound-bytes at least 1024, "+
			"--socket-outbound-frames at least 16)"))
	}
	if c.DebugAddr != "" && !loopback(c.DebugAddr) {
		errs = append(errs, fmt.Errorf("--debug-addr %q: only a loopback address (127.0.0.1:PORT, [::1]:PORT)", c.DebugAddr))
	}
	if c.PasswordQueue < 0 {
		errs = append(errs, errors.New("--password-queue must not be negative"))
	}
	if c.PresenceVisibility != PresenceContacts && c.PresenceVisibility != PresenceEveryone {
		errs = append(errs, fmt.Errorf("--presence-visibility %q: want %s or %s", c.PresenceVisibility, PresenceContacts, PresenceEveryone))
	}
	if c.MaxUploadBytes < 1 || c.OrphanUploadTTL <= 0 {
		errs = append(errs, errors.New("--max-upload-bytes and --orphan-upload-ttl must be positive"))
	}
	if c.S3Endpoint != "" && (c.S3Bucket == "" || c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, errors.New("--s3-endpoint needs --s3-bucket, --s3-access-key and --s3-secret-key"))
	}
	if c.S3Endpoint == "" && c.BlobDir == "" {
		errs = append(errs, errors.New("attachments need --blob-dir or --s3-endpoint"))
	}
	if (c.JWTSecret != "" || c.JWTJWKSURL != "") && (c.JWTIssuer == "" || c.JWTAudience == "") {
		errs = append(errs, errors.New("--jwt-secret and --jwt-jwks-url need --jwt-issuer and --jwt-audience"))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("--jwt-secret must be at least 32 bytes"))
	}
	if c.JWTLeeway < 0 || c.JWTJWKSRefresh <= 0 {
		errs = append(errs, errors.New("--jwt-leeway must not be negative and --jwt-jwks-refresh must be positive"))
	}
	if c.NoPasswordAccounts && c.JWTSecret == "" && c.JWTJWKSURL == "" {
		errs = append(errs, errors.New("--no-password-accounts needs --jwt-secret or --jwt-jwks-url: nobody could sign in"))
	}
	if w := c.Webhooks; w.Timeout <= 0 || w.RetryFor <= 0 || w.BackoffMin <= 0 || w.BackoffMax < w.BackoffMin ||
		w.Poll <= 0 || w.Concurrency <= 0 || w.PerWebhook <= 0 || w.Retention <= 0 {
		errs = append(errs, errors.New("--webhook-* settings must be positive, and --webhook-backoff-max at least --webhook-backoff-min"))
	}
	if c.PasswordMemKiB < 64 {
		errs = append(errs, errors.New("--password-memory-kib must be at least 64"))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// loopback reports whether addr (host:port) names a loopback host: profiles must not be served to the network.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
