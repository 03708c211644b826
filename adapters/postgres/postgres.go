// Package postgres stores users, sessions, blocks, conversations, members, messages and events in
// PostgreSQL (driver github.com/jackc/pgx/v5, pooled): the storage of the distributed roles (gateway, worker,
// all).
package postgres

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var (
	_ ports.UserStore         = (*Store)(nil)
	_ ports.SessionStore      = (*Store)(nil)
	_ ports.BlockStore        = (*Store)(nil)
	_ ports.ConversationStore = (*Store)(nil)
	_ ports.MemberStore       = (*Store)(nil)
	_ ports.SummaryStore      = (*Store)(nil)
	_ ports.HistoryStore      = (*Store)(nil)
	_ ports.Ledger            = (*Store)(nil)
	_ ports.Pinger            = (*Store)(nil)
	_ ports.SearchStore       = (*Store)(nil)
	_ ports.ModerationStore   = (*Store)(nil)
)

// Defaults for Config's zero fields.
const (
	DefaultMaxConns       = 10
	DefaultUpdateRetries  = 10
	DefaultConnectTimeout = 5 * time.Second
	DefaultSearchLanguage = "simple"
)

// MaxEventsLimit caps one Events page.
const MaxEventsLimit = 1000

// schemaName is what Config.Schema accepts: a plain lowercase identifier, so it needs no quoting rules.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Config configures Open and Migrate.
type Config struct {
	// URL locates the database: a postgres:// URL or a keyword/value connection string.
	URL string
	// Schema, when set, is the schema the store uses (through search_path) and Migrate creates; it isolates
	// several stores in one database, as tests do. Empty means the server's default search_path.
	Schema string
	// MaxConns bounds the connection pool (default 10).
	MaxConns int32
	// UpdateRetries is how many times Ledger.Update retries fn after a serialization failure, a deadlock or a
	// connection lost before anything was sent (default 10).
	UpdateRetries int
	// ConnectTimeout bounds establishing one connection (default 5s).
	ConnectTimeout time.Duration
	// SearchLanguage is the text search configuration (pg_ts_config) message search parses bodies and
	// queries with (default "simple": no stemming, no stop words; e.g. "english" stems and drops stop words).
	// Migrate checks that the server has it and creates its index.
	SearchLanguage string
}

// Validate checks c and fills in defaults.
func (c Config) Validate() (Config, error) {
	switch {
	case strings.TrimSpace(c.URL) == "":
		return c, core.Invalid("url", "postgres: a database URL is required")
	case c.Schema != "" && !schemaName.MatchString(c.Schema):
		return c, core.Invalid("schema", "postgres: schema must match %s", schemaName)
	case c.SearchLanguage != "" && !schemaName.MatchString(c.SearchLanguage):
		return c, core.Invalid("searchLanguage", "postgres: search language must match %s", schemaName)
	case c.MaxConns < 0 || c.UpdateRetries < 0 || c.ConnectTimeout < 0:
		return c, core.Invalid("config", "postgres: connections, retries and timeout must not be negative")
	}
	if _, err := pgxpool.ParseConfig(c.URL); err != nil {
		// The parser's text may quote the URL, password included: keep it as the cause only.
		return c, core.Wrap(core.CodeInvalidArgument, err, "postgres: malformed database URL")
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.UpdateRetries == 0 {
		c.UpdateRetries = DefaultUpdateRetries
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.SearchLanguage == "" {
		c.SearchLanguage = DefaultSearchLanguage
	}
	return c, nil
}

// poolConfig turns a validated Config into the pool's.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.URL)
	if err != nil {
		return nil, core.Wrap(core.CodeInvalidArgument, err, "postgres: malformed database URL")
	}
	pc.MaxConns = c.MaxConns
	pc.ConnConfig.ConnectTimeout = c.ConnectTimeout
	if c.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = c.Schema
	}
	return pc, nil
}

// Store implements the store ports on PostgreSQL. It is safe for concurrent use.
type Store struct {
	cfg    Config
	pool   *pgxpool.Pool
	search searchSQL
	// searchBias scales the matches a search must expect to read the newest messages first (1; tests set 0
	// to take that plan always, or +Inf never); searchMinBatch is its smallest first batch
	// (DefaultSearchMinBatch; tests lower it so that pages span batches)
	searchBias     float64
	searchMinBatch int
}

// Open creates the connection pool. It connects lazily and does not migrate: run Migrate (once, from any
// process) first, and Ping to learn whether the database is reachable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	pc, err := cfg.poolConfig()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, core.Wrap(core.CodeInvalidArgument, err, "postgres: cannot create the connection pool")
	}
	return &Store{cfg: cfg, pool: pool, search: newSearchSQL(cfg.SearchLanguage),
		searchBias: 1, searchMinBatch: DefaultSearchMinBatch}, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether the database answers and the schema is migrated.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "postgres: database unreachable")
	}
	return nil
}
