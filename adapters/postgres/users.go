package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

// CreateUser stores u; a taken username or id is core.ErrAlreadyExists.
func (s *Store) CreateUser(ctx context.Context, u core.User) error {
	_, err := s.pool.Exec(ctx, sqlInsertUser, userArgs(u)...)
	return translate(err, "user")
}

// UserByID returns the user or core.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (core.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, translate(err, "user")
}

// UserByUsername returns the user with that username or core.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (core.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	return u, translate(err, "user")
}

// SearchUsers lists users whose username starts with q or whose display name contains q, by username.
func (s *Store) SearchUsers(ctx context.Context, q string, page core.PageRequest) (core.Page[core.User], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	// starts_with/strpos rather than LIKE: q may hold '%' or '_', which must match literally.
	items, err := queryAll(ctx, s.pool, scanUser, `SELECT `+userCols+` FROM users
		WHERE (starts_with(lower(username), $1) OR strpos(display_lower, $1) > 0) AND username > $2
		ORDER BY username LIMIT $3`, strings.ToLower(q), after[0], limit+1)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	return pageOf(items, limit, func(u core.User) []string { return []string{u.Username} }), nil
}

// CreateSession stores sess; a duplicate token hash is core.ErrAlreadyExists.
func (s *Store) CreateSession(ctx context.Context, sess core.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		sess.TokenHash, sess.UserID, ts(sess.CreatedAt), ts(sess.ExpiresAt))
	return translate(err, "session")
}

// Session returns the session with that token hash or core.ErrNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (core.Session, error) {
	var sess core.Session
	err := s.pool.QueryRow(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = $1`,
		tokenHash).Scan(&sess.TokenHash, &sess.UserID, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return core.Session{}, translate(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	return sess, nil
}

// SessionUser returns the session with that token hash and its user, in one round trip.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (core.Session, core.User, error) {
	var sess core.Session
	var u core.User
	err := s.pool.QueryRow(ctx, `SELECT s.token_hash, s.user_id, s.created_at, s.expires_at,
		u.id, u.username, u.display_name, u.password_hash, u.bot, u.admin, u.created_at, u.deactivated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, tokenHash).Scan(
		&sess.TokenHash, &sess.UserID, &sess.CreatedAt, &sess.ExpiresAt,
		&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Bot, &u.Admin, &u.CreatedAt, &u.DeactivatedAt)
	if err != nil {
		return core.Session{}, core.User{}, translate(err, "session")
	}
	if u.DeactivatedAt != nil {
		at := u.DeactivatedAt.UTC()
		u.DeactivatedAt = &at
	}
	sess.CreatedAt, sess.ExpiresAt, u.CreatedAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), u.CreatedAt.UTC()
	return sess, u, nil
}

// DeleteExpiredSessions removes up to limit sessions expired at or before now (an index range scan).
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash IN
		(SELECT token_hash FROM sessions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)`, now, limit)
	if err != nil {
		return 0, translate(err, "session")
	}
	return int(tag.RowsAffected()), nil
}

// DeleteSession removes the session, if any.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return translate(err, "session")
}

// DeleteUserSessions removes every session of userID but except (none spared when except is empty).
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND ($2 = '' OR token_hash <> $2)`,
		userID, except)
	if err != nil {
		return 0, translate(err, "session")
	}
	return int(tag.RowsAffected()), nil
}

// SetPasswordHash replaces the user's password hash, or fails with core.ErrNotFound.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	if err != nil {
		return translate(err, "user")
	}
	if tag.RowsAffected() == 0 {
		return notFound("user")
	}
	return nil
}

// UserByExternalID returns the user linked to the external identity (issuer, subject) or core.ErrNotFound.
func (s *Store) UserByExternalID(ctx context.Context, issuer, subject string) (core.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users
		WHERE id = (SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2)`, issuer, subject))
	return u, translate(err, "user")
}

// CreateExternalUser stores u linked to the external identity (issuer, subject), in one transaction.
func (s *Store) CreateExternalUser(ctx context.Context, u core.User, issuer, subject string) error {
	return translate(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlInsertUser, userArgs(u)...); err != nil {
			return core.WithField(translate(err, "user"), "username")
		}
		_, err := tx.Exec(ctx, `INSERT INTO external_identities (issuer, subject, user_id, created_at)
			VALUES ($1, $2, $3, $4)`, issuer, subject, u.ID, ts(u.CreatedAt))
		return core.WithField(translate(err, "identity"), "subject")
	}), "user")
}

// sqlInsertUser stores a user (userArgs).
const sqlInsertUser = `INSERT INTO users (id, username, display_name, display_lower, password_hash, bot, admin, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// userArgs are the parameters of sqlInsertUser for u.
func userArgs(u core.User) []any {
	return []any{u.ID, u.Username, u.DisplayName, strings.ToLower(u.DisplayName), u.PasswordHash, u.Bot, u.Admin,
		ts(u.CreatedAt)}
}

const apiKeyCols = `id, name, scope, coalesce(bot_user_id, ''), secret_hash, created_at, revoked_at`

func scanAPIKey(r scanner) (core.APIKey, error) {
	var k core.APIKey
	var scope string
	err := r.Scan(&k.ID, &k.Name, &scope, &k.BotUserID, &k.SecretHash, &k.CreatedAt, &k.RevokedAt)
	k.Scope, k.CreatedAt = core.APIKeyScope(scope), k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		at := k.RevokedAt.UTC()
		k.RevokedAt = &at
	}
	return k, err
}

// CreateAPIKey stores k, and bot (when not nil) in the same transaction.
func (s *Store) CreateAPIKey(ctx context.Context, k core.APIKey, bot *core.User) error {
	return translate(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if bot != nil {
			if _, err := tx.Exec(ctx, sqlInsertUser, userArgs(*bot)...); err != nil {
				return translate(err, "user")
			}
		}
		var botID any
		if k.BotUserID != "" {
			botID = k.BotUserID
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, name, scope, bot_user_id, secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.ID, k.Name, string(k.Scope), botID, k.SecretHash, ts(k.CreatedAt))
		return translate(err, "API key")
	}), "API key")
}

// APIKey returns the key with that id or core.ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (core.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = $1`, id))
	return k, translate(err, "API key")
}

// APIKeys lists keys by id.
func (s *Store) APIKeys(ctx context.Context, page core.PageRequest) (core.Page[core.APIKey], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	items, err := queryAll(ctx, s.pool, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2`,
		after[0], limit+1)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	return pageOf(items, limit, func(k core.APIKey) []string { return []string{k.ID} }), nil
}

// RevokeAPIKey marks the key revoked (once) and returns it.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (core.APIKey, error) {
	k, err := scanAPIKey(s.pool.QueryRow(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1
		RETURNING `+apiKeyCols, id, ts(at)))
	return k, translate(err, "API key")
}

// SetDeactivated sets or clears the user's deactivation (a set one keeps its first time) and returns the user.
func (s *Store) SetDeactivated(ctx context.Context, userID string, at *time.Time) (core.User, error) {
	var arg any
	if at != nil {
		arg = ts(*at)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE users SET deactivated_at = CASE WHEN $2::timestamptz IS NULL THEN NULL
		ELSE coalesce(deactivated_at, $2::timestamptz) END WHERE id = $1 RETURNING `+userCols, userID, arg))
	return u, translate(err, "user")
}

// SetAdmin gives or takes the user the system role admin and returns the user.
func (s *Store) SetAdmin(ctx context.Context, userID string, admin bool) (core.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE users SET admin = $2 WHERE id = $1 RETURNING `+userCols, userID, admin))
	return u, translate(err, "user")
}

// SetDisplayName replaces the user's display name (and its lowercased copy, which search reads) and returns the user.
func (s *Store) SetDisplayName(ctx context.Context, userID, displayName string) (core.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE users SET display_name = $2, display_lower = $3 WHERE id = $1
		RETURNING `+userCols, userID, displayName, strings.ToLower(displayName)))
	return u, translate(err, "user")
}
