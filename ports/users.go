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
	// SetPasswordHash replaces the user's password hash; core.ErrNotFound if there is no such user.
	SetPasswordHash(ctx context.Context, userID, hash string) error
	// SetDeactivated sets (at not nil) or clears (nil) the user's deactivation and returns the user; a user
	// deactivated already keeps the first time. core.ErrNotFound if there is no such user.
	SetDeactivated(ctx context.Context, userID string, at *time.Time) (core.User, error)
	// SetAdmin gives (true) or takes (false) the user the system role admin and returns the user;
	// core.ErrNotFound if there is no such user.
	SetAdmin(ctx context.Context, userID string, admin bool) (core.User, error)
	// SetDisplayName replaces the user's display name and returns the user; core.ErrNotFound if there is no
	// such user.
	SetDisplayName(ctx context.Context, userID, displayName string) (core.User, error)
	// UserByExternalID returns the user linked to the external identity (issuer, subject) or core.ErrNotFound.
	UserByExternalID(ctx context.Context, issuer, subject string) (core.User, error)
	// CreateExternalUser stores u linked to the external identity (issuer, subject), both or neither. A taken
	// username fails with core.ErrAlreadyExists, field "username"; an identity linked already (to anyone) with
	// core.ErrAlreadyExists, field "subject".
	CreateExternalUser(ctx context.Context, u core.User, issuer, subject string) error
}

// IdentityVerifier verifies the tokens the application scalechat is embedded in issues to its users (JSON Web
// Tokens). Every refusal is core.CodeUnauthenticated, with the reason.
type IdentityVerifier interface {
	Verify(ctx context.Context, token string) (core.ExternalIdentity, error)
	// Issuer is the issuer whose tokens it accepts: the one of every identity it verifies.
	Issuer() string
}

// APIKeyStore keeps server API keys, by id.
type APIKeyStore interface {
	// CreateAPIKey stores k, and for a key of scope bot its bot user (bot set, created in the same
	// transaction; nil for other keys). A taken username fails with core.ErrAlreadyExists.
	CreateAPIKey(ctx context.Context, k core.APIKey, bot *core.User) error
	// APIKey returns the key with that id, revoked or not, or core.ErrNotFound.
	APIKey(ctx context.Context, id string) (core.APIKey, error)
	// APIKeys lists keys by id, cursor-paged.
	APIKeys(ctx context.Context, page core.PageRequest) (core.Page[core.APIKey], error)
	// RevokeAPIKey marks the key revoked at at and returns it; revoking again changes nothing (the first time
	// stays). core.ErrNotFound if there is no such key.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (core.APIKey, error)
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
	// DeleteUserSessions removes every session of userID except the one whose token hash is except (empty:
	// every one) and says how many it removed.
	DeleteUserSessions(ctx context.Context, userID, except string) (int, error)
}

// BlockStore keeps who blocks whom. A user who blocks another cannot be added to a conversation by them,
// cannot be drawn into a direct conversation by them, and is not seen online by them.
type BlockStore interface {
	// Block records that b.UserID blocks b.BlockedID; blocking again changes nothing (CreatedAt stays).
	Block(ctx context.Context, b core.Block) error
	// Unblock removes the block of blockedID by userID; removing a missing one is not an error.
	Unblock(ctx context.Context, userID, blockedID string) error
	// Blocks lists the users userID blocks, ordered by blocked user id, cursor-paged.
	Blocks(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Block], error)
	// Blocking returns which of among (at most a few thousand ids) userID blocks, in ascending order.
	Blocking(ctx context.Context, userID string, among []string) ([]string, error)
	// BlockersOf returns which of among (at most a few thousand ids) block userID, in ascending order.
	BlockersOf(ctx context.Context, userID string, among []string) ([]string, error)
}

// PasswordHasher hashes and verifies passwords. Hashing is deliberately expensive: implementations bound how
// many run at once and how many may wait, and refuse the rest with core.CodeUnavailable (with RetryAfter)
// instead of queueing without bound.
type PasswordHasher interface {
	// Hash returns an encoded, salted hash of password.
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches the encoded hash. A malformed hash is an error.
	Verify(ctx context.Context, hash, password string) (bool, error)
}
