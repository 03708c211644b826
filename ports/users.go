package ports

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
)

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores u. A taken username fails with core.ErrAlreadyExists.
	CreateUser(ctx context.Context, u core.User) error
	// UserByID returns the user or core.ErrNotFound.
	UserByID(ctx context.Context, id string) (core.User, error)
	// UserByUsername returns the user with that (already normalised) username or core.ErrNotFound.
	UserByUsername(ctx context.Context, username string) (core.User, error)
	// SearchUsers lists users whose username starts with q or whose display name contains q
	// (case-insensitive; an empty q lists everyone), ordered by username, cursor-paged.
	SearchUsers(ctx context.Context, q string, page core.PageRequest) (core.Page[core.User], error)
}

// SessionStore keeps logins, by the hash of their token.
type SessionStore interface {
	// CreateSession stores s. A duplicate token hash fails with core.ErrAlreadyExists.
	CreateSession(ctx context.Context, s core.Session) error
	// Session returns the session with that token hash, expired or not, or core.ErrNotFound.
	Session(ctx context.Context, tokenHash string) (core.Session, error)
	// SessionUser returns the session with that token hash, expired or not, and its user, in one read (every
	// connect and request authenticates with it); core.ErrNotFound if either is missing.
	SessionUser(ctx context.Context, tokenHash string) (core.Session, core.User, error)
	// DeleteSession removes the session; deleting a missing one is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteExpiredSessions removes up to limit sessions that expired at or before now, oldest first, and says
	// how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error)
}

// PasswordHasher hashes and verifies passwords.
type PasswordHasher interface {
	// Hash returns an encoded, salted hash of password.
	Hash(password string) (string, error)
	// Verify reports whether password matches the encoded hash. A malformed hash is an error.
	Verify(hash, password string) (bool, error)
}
