// Package sqlite stores users, sessions, blocks, conversations, members, messages and events in one SQLite
// file (pure Go driver modernc.org/sqlite): the storage of the standalone role.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

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
	_ ports.ModerationStore   = (*Store)(nil)
	_ ports.ChangeFeed        = (*Store)(nil)
	_ ports.WebhookStore      = (*Store)(nil)
	_ ports.Exclusive         = (*Store)(nil)
)

// Defaults for Config's zero fields.
const (
	DefaultBusyTimeout   = 5 * time.Second
	DefaultUpdateRetries = 10
)

// MaxEventsLimit caps one Events page.
const MaxEventsLimit = 1000

// Config configures Open.
type Config struct {
	// Path is the database file, created (with its directory) if missing. In-memory databases are refused:
	// the reader and writer pools would each get a different one.
	Path string
	// BusyTimeout is how long a statement waits for a lock held by another process (default 5s).
	BusyTimeout time.Duration
	// MaxReadConns bounds the pool of read-only connections (default: the number of CPUs, at least 2).
	MaxReadConns int
	// UpdateRetries is how many times Ledger.Update retries fn after the database reported busy (default 10).
	UpdateRetries int
}

// Validate checks c and fills in defaults.
func (c Config) Validate() (Config, error) {
	switch {
	case strings.TrimSpace(c.Path) == "":
		return c, core.Invalid("path", "sqlite: a database path is required")
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:") || strings.Contains(c.Path, "?"):
		return c, core.Invalid("path", "sqlite: path must be a plain file path, not %q", c.Path)
	case c.BusyTimeout < 0 || c.MaxReadConns < 0 || c.UpdateRetries < 0:
		return c, core.Invalid("config", "sqlite: busy timeout, read connections and retries must not be negative")
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = DefaultBusyTimeout
	}
	if c.MaxReadConns == 0 {
		c.MaxReadConns = max(2, runtime.NumCPU())
	}
	if c.UpdateRetries == 0 {
		c.UpdateRetries = DefaultUpdateRetries
	}
	return c, nil
}

// Store implements the store ports on SQLite. It is safe for concurrent use.
//
// SQLite in WAL mode has one writer and many readers, so the store keeps two pools on the same file: w, a
// single connection whose transactions begin IMMEDIATE (writers queue in Go instead of failing with
// SQLITE_BUSY), and r, read-only connections that never wait for the writer. A function passed to
// Ledger.Update must not call the store's non-transactional write methods: they wait for the same connection.
type Store struct {
	cfg Config
	w   *db
	r   *db
	// the search plans' thresholds (DefaultSearchFewMatches, DefaultSearchBatch); tests lower them
	searchFew, searchBatch int
}

// Open opens (creating if needed) the database at cfg.Path and applies pending migrations.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, core.Wrap(core.CodeUnavailable, err, "sqlite: cannot create the data directory")
		}
	}
	if err := ownerOnly(cfg.Path); err != nil {
		return nil, core.Wrap(core.CodeUnavailable, err, "sqlite: cannot make the database file private")
	}
	w, err := sql.Open("sqlite", dsn(cfg, url.Values{
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		// FULL: a commit is durable across power loss before Update returns (sends are acked after it).
		"_synchronous": {"FULL"},
	}))
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "sqlite: open")
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{cfg: cfg, w: newDB(w), searchFew: DefaultSearchFewMatches, searchBatch: DefaultSearchBatch}
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, translate(fmt.Errorf("sqlite: %w", err), "")
	}
	// Readers open after the writer switched the file to WAL, so they only read it.
	r, err := sql.Open("sqlite", dsn(cfg, url.Values{"_query_only": {"1"}}))
	if err != nil {
		_ = w.Close()
		return nil, core.Wrap(core.CodeInternal, err, "sqlite: open")
	}
	s.r = newDB(r)
	s.r.SetMaxOpenConns(cfg.MaxReadConns)
	s.r.SetMaxIdleConns(cfg.MaxReadConns)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite data source name for cfg.Path with extra parameters.
func dsn(cfg Config, extra url.Values) string {
	q := url.Values{
		"_busy_timeout": {fmt.Sprint(cfg.BusyTimeout.Milliseconds())},
		"_foreign_keys": {"1"},
	}
	for k, v := range extra {
		q[k] = v
	}
	return cfg.Path + "?" + q.Encode()
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return core.Wrap(core.CodeUnavailable, err, "sqlite: database unreachable")
	}
	return nil
}

// ownerOnly creates the database file readable and writable by its owner alone, or makes an existing one so,
// before SQLite opens it: SQLite gives its WAL and shared-memory files the database file's permissions.
// Messages and password hashes are not for the other users of the machine.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
