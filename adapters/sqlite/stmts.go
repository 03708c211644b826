package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// db is a database handle that prepares each query once and reuses the statement (database/sql keeps it
// prepared on every connection that ran it). SQLite's parser and planner cost more than most lookups here:
// under load, preparing was a fifth of the process's CPU. Every query of this package is a constant string,
// so the cache is bounded by the code.
type db struct {
	*sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newDB(d *sql.DB) *db { return &db{DB: d, stmts: map[string]*sql.Stmt{}} }

// stmt returns the prepared statement of query. Preparing waits for a connection, so it never runs under
// d.mu: a transaction holding the writer's only connection looks statements up under it.
func (d *db) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := d.cached(query); st != nil {
		return st, nil
	}
	st, err := d.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stmts == nil { // closed meanwhile
		_ = st.Close()
		return nil, sql.ErrConnDone
	}
	if first := d.stmts[query]; first != nil { // prepared by another caller meanwhile
		_ = st.Close()
		return first, nil
	}
	d.stmts[query] = st
	return st, nil
}

// QueryContext runs query's prepared statement.
func (d *db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs query's prepared statement (unprepared when preparing failed: the row carries the
// error then).
func (d *db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.stmt(ctx, query)
	if err != nil {
		return d.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs query's prepared statement.
func (d *db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := d.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the statements, then the database.
func (d *db) Close() error {
	d.mu.Lock()
	for _, st := range d.stmts {
		_ = st.Close()
	}
	d.stmts = nil
	d.mu.Unlock()
	return d.DB.Close()
}

// cached returns query's statement when it was prepared already.
func (d *db) cached(query string) *sql.Stmt {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.stmts[query]
}

// prepare prepares queries that are not cached yet; a failure only leaves a query unprepared.
func (d *db) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		_, _ = d.stmt(ctx, q)
	}
}

// txn is a write transaction whose queries use d's prepared statements. A query not prepared yet runs as a
// plain query and is prepared once the transaction is over (see missing): preparing needs a connection, and
// the writer's only one is the transaction's.
type txn struct {
	*sql.Tx
	d       *db
	missing []string
}

// stmt returns query's statement bound to the transaction, or nil (then the query is noted as missing).
func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.d.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	t.missing = append(t.missing, query)
	return nil
}

// QueryContext runs query inside the transaction.
func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query inside the transaction.
func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// ExecContext runs query inside the transaction.
func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}
