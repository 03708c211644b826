package postgres

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/scalechat/scalechat/core"
)

// SQLSTATE codes the adapter acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// translate maps a driver error to the core error set; what names the missing or duplicate thing.
// Errors that already carry a category pass through. The driver error stays as the cause, which clients
// never see.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Wrap(core.CodeNotFound, err, what+" not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Wrap(core.CodeUnavailable, err, "request cancelled")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == codeUniqueViolation:
			return core.Wrap(core.CodeAlreadyExists, err, what+" already exists")
		case pe.Code == codeForeignKeyViolation:
			return core.Wrap(core.CodeNotFound, err, "referenced record not found")
		case transientCode(pe.Code):
			return core.Wrap(core.CodeUnavailable, err, "storage unavailable")
		}
		return core.Wrap(core.CodeInternal, err, "storage error")
	}
	if connectionLost(err) {
		return core.Wrap(core.CodeUnavailable, err, "storage unavailable")
	}
	return core.Wrap(core.CodeInternal, err, "storage error")
}

// transientCode reports whether a SQLSTATE means "try again later" rather than a bug or bad data:
// concurrency failures, the server shutting down or overloaded, connection exceptions (class 08).
func transientCode(code string) bool {
	switch code {
	case codeSerializationFailure, codeDeadlockDetected,
		"55P03",                   // lock_not_available
		"57014",                   // query_canceled (statement timeout)
		"57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
		"53000", "53100", "53200", "53300": // insufficient resources, too many connections
		return true
	}
	return len(code) == 5 && code[:2] == "08"
}

// connectionLost reports whether a non-server error means the database could not be reached.
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, puddle.ErrClosedPool) || pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// retryable reports whether Ledger.Update may run fn again after err: the server aborted the transaction
// for a concurrency conflict, or the statement never reached the server.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected
	}
	return pgconn.SafeToRetry(err)
}

// notFound is the error for a lookup or a change that matched no row.
func notFound(what string) error { return core.Errorf(core.CodeNotFound, "%s not found", what) }
