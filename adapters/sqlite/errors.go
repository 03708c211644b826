package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scalechat/scalechat/core"
)

// translate maps a driver error to the core error set; what names the missing thing for sql.ErrNoRows.
// Errors that already carry a category pass through. The driver error stays as the (internal) cause.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return core.Wrap(core.CodeNotFound, err, what+" not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Wrap(core.CodeUnavailable, err, "request cancelled")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return core.Wrap(core.CodeAlreadyExists, err, what+" already exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return core.Wrap(core.CodeNotFound, err, "referenced record not found")
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT:
			return core.Wrap(core.CodeUnavailable, err, "storage unavailable")
		}
	}
	return core.Wrap(core.CodeInternal, err, "storage error")
}

// isBusy reports whether err (or its cause) is SQLite telling us another connection holds the lock.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// notFound is the error for a lookup that matched no row.
func notFound(what string) error { return core.Errorf(core.CodeNotFound, "%s not found", what) }
