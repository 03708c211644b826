package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema, one numbered .sql file per step, applied in name order.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate opens a short-lived pool for cfg, applies pending migrations and closes it.
func Migrate(ctx context.Context, cfg Config) error {
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

// Migrate creates the configured schema if needed and applies every migration not yet recorded in
// schema_migrations, each in its own transaction, then creates the search index of the configured language
// (see createSearchIndex). Processes migrating the same schema at once take turns
// on an advisory lock, so running it again, or from several processes, is harmless.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return translate(fmt.Errorf("postgres: migrate: %w", err), "")
	}
	defer conn.Release()
	key := migrationLockKey(s.cfg.Schema)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return translate(fmt.Errorf("postgres: migration lock: %w", err), "")
	}
	defer func() {
		// A session lock outlives errors: if unlocking fails, drop the connection, which releases it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if err := migrateLocked(ctx, conn, s.cfg.Schema); err != nil {
		return translate(fmt.Errorf("postgres: %w", err), "")
	}
	if err := createSearchIndex(ctx, conn, s.cfg.SearchLanguage); err != nil {
		return translate(fmt.Errorf("postgres: %w", err), "")
	}
	return nil
}

// migrationLockKey is the advisory lock of one schema's migrations, the same in every process.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("scalechat.migrate:" + schema))
	return int64(h.Sum64()) // any 64 bits will do as a lock key
}

func migrateLocked(ctx context.Context, conn *pgxpool.Conn, schema string) error {
	if schema != "" { // validated as a plain identifier by Config.Validate
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if err := applyMigration(ctx, conn, name, version); err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *pgxpool.Conn, name, version string) error {
	script, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var applied bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
			version).Scan(&applied); err != nil || applied {
			return err
		}
		if _, err := tx.Exec(ctx, string(script)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
		return err
	})
}
