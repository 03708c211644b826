package core

import (
	"errors"
	"fmt"
	"time"
)

// Code is one of the closed set of error categories every adapter maps to and from.
type Code string

// The closed set of error codes.
const (
	CodeInvalidArgument  Code = "invalid_argument"
	CodeUnauthenticated  Code = "unauthenticated"
	CodePermissionDenied Code = "permission_denied"
	CodeNotFound         Code = "not_found"
	CodeAlreadyExists    Code = "already_exists"
	CodeConflict         Code = "conflict"
	CodeRateLimited      Code = "rate_limited"
	CodeTooLarge         Code = "too_large"
	CodeUnavailable      Code = "unavailable"
	CodeInternal         Code = "internal"
)

// Codes lists every code in the closed set.
var Codes = []Code{CodeInvalidArgument, CodeUnauthenticated, CodePermissionDenied, CodeNotFound,
	CodeAlreadyExists, CodeConflict, CodeRateLimited, CodeTooLarge, CodeUnavailable, CodeInternal}

// Sentinel errors, one per code, for errors.Is checks: errors.Is(err, core.ErrNotFound).
var (
	ErrInvalidArgument  = &Error{Code: CodeInvalidArgument}
	ErrUnauthenticated  = &Error{Code: CodeUnauthenticated}
	ErrPermissionDenied = &Error{Code: CodePermissionDenied}
	ErrNotFound         = &Error{Code: CodeNotFound}
	ErrAlreadyExists    = &Error{Code: CodeAlreadyExists}
	ErrConflict         = &Error{Code: CodeConflict}
	ErrRateLimited      = &Error{Code: CodeRateLimited}
	ErrTooLarge         = &Error{Code: CodeTooLarge}
	ErrUnavailable      = &Error{Code: CodeUnavailable}
	ErrInternal         = &Error{Code: CodeInternal}
)

// Error is a categorised error. Message is safe to show to a client; Err (the cause) never is.
type Error struct {
	Code       Code
	Message    string
	Field      string        // the offending input field, when there is one
	RetryAfter time.Duration // for CodeRateLimited
	Err        error
}

// Error implements error.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so sentinels match any error of their category.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Err == nil
}

// Errorf builds a categorised error with a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input in one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap categorises a cause (typically a driver error). The cause stays internal; message is what clients see.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// WithField returns err with Field set to field when it is an *Error of code already_exists, and err as it is
// otherwise (nil stays nil): stores name which unique value a create found taken.
func WithField(err error, field string) error {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeAlreadyExists {
		return err
	}
	c := *e
	c.Field = field
	return &c
}

// CodeOf returns the category of err: CodeInternal for uncategorised errors, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping uncategorised errors as internal (with no client-visible detail).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}
