package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// CreateUser stores u; a taken username or id is core.ErrAlreadyExists.
func (s *Store) CreateUser(ctx context.Context, u core.User) error {
	_, err := s.w.ExecContext(ctx, sqlInsertUser, userArgs(u)...)
	return translate(err, "user")
}

// UserByID returns the user or core.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (core.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, translate(err, "user")
}

// UserByUsername returns the user with that username or core.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (core.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
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
	q = strings.ToLower(q)
	// substr/instr rather than LIKE: q may hold '%' or '_', which must match literally.
	items, err := queryAll(ctx, s.r, scanUser, `SELECT `+userCols+` FROM users
		WHERE (substr(lower(username), 1, length(?1)) = ?1 OR instr(display_lower, ?1) > 0) AND username > ?2
		ORDER BY username LIMIT ?3`, q, after[0], limit+1)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	return pageOf(items, limit, func(u core.User) []string { return []string{u.Username} }), nil
}

// CreateSession stores sess; a duplicate token hash is core.ErrAlreadyExists.
func (s *Store) CreateSession(ctx context.Context, sess core.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		sess.TokenHash, sess.UserID, toMS(sess.CreatedAt), toMS(sess.ExpiresAt))
	return translate(err, "session")
}

// Session returns the session with that token hash or core.ErrNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (core.Session, error) {
	var sess core.Session
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = ?`,
		tokenHash).Scan(&sess.TokenHash, &sess.UserID, &created, &expires)
	if err != nil {
		return core.Session{}, translate(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	return sess, nil
}

// SessionUser returns the session with that token hash and its user, in one statement.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (core.Session, core.User, error) {
	var sess core.Session
	var u core.User
	var created, expires, userCreated int64
	var deactivated sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.created_at, s.expires_at,
		u.id, u.username, u.display_name, u.password_hash, u.bot, u.admin, u.created_at, u.deactivated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash).Scan(
		&sess.TokenHash, &sess.UserID, &created, &expires,
		&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Bot, &u.Admin, &userCreated, &deactivated)
	if err != nil {
		return core.Session{}, core.User{}, translate(err, "session")
	}
	sess.CreatedAt, sess.ExpiresAt, u.CreatedAt = fromMS(created), fromMS(expires), fromMS(userCreated)
	u.DeactivatedAt = fromMSPtr(deactivated)
	return sess, u, nil
}

// DeleteExpiredSessions removes up to limit sessions expired at or before now (an index range scan).
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN
		(SELECT token_hash FROM sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`, toMS(now), limit)
	if err != nil {
		return 0, translate(err, "session")
	}
	n, err := res.RowsAffected()
	return int(n), translate(err, "session")
}

// DeleteSession removes the session, if any.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return translate(err, "session")
}

// DeleteUserSessions removes every session of userID but except (none spared when except is empty).
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?1 AND (?2 = '' OR token_hash <> ?2)`,
		userID, except)
	if err != nil {
		return 0, translate(err, "session")
	}
	n, err := res.RowsAffected()
	return int(n), translate(err, "session")
}

// SetPasswordHash replaces the user's password hash, or fails with core.ErrNotFound.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return translate(err, "user")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "user")
	}
	if n == 0 {
		return notFound("user")
	}
	return nil
}

// UserByExternalID returns the user linked to the external identity (issuer, subject) or core.ErrNotFound.
func (s *Store) UserByExternalID(ctx context.Context, issuer, subject string) (core.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users
		WHERE id = (SELECT user_id FROM external_identities WHERE issuer = ? AND subject = ?)`, issuer, subject))
	return u, translate(err, "user")
}

// CreateExternalUser stores u linked to the external identity (issuer, subject), in one transaction.
func (s *Store) CreateExternalUser(ctx context.Context, u core.User, issuer, subject string) error {
	return s.txOnce(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, sqlInsertUser, userArgs(u)...); err != nil {
			return core.WithField(translate(err, "user"), "username")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO external_identities (issuer, subject, user_id, created_at)
			VALUES (?, ?, ?, ?)`, issuer, subject, u.ID, toMS(u.CreatedAt))
		return core.WithField(translate(err, "identity"), "subject")
	})
}

// sqlInsertUser stores a user (userArgs).
const sqlInsertUser = `INSERT INTO users (id, username, display_name, display_lower, password_hash, bot, admin, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// userArgs are the parameters of sqlInsertUser for u.
func userArgs(u core.User) []any {
	return []any{u.ID, u.Username, u.DisplayName, strings.ToLower(u.DisplayName), u.PasswordHash, u.Bot, u.Admin,
		toMS(u.CreatedAt)}
}

const apiKeyCols = `id, name, scope, coalesce(bot_user_id, ''), secret_hash, created_at, revoked_at`

func scanAPIKey(r scanner) (core.APIKey, error) {
	var k core.APIKey
	var scope string
	var created int64
	var revoked *int64
	err := r.Scan(&k.ID, &k.Name, &scope, &k.BotUserID, &k.SecretHash, &created, &revoked)
	k.Scope, k.CreatedAt = core.APIKeyScope(scope), fromMS(created)
	if revoked != nil {
		at := fromMS(*revoked)
		k.RevokedAt = &at
	}
	return k, err
}

// CreateAPIKey stores k, and bot (when not nil) in the same transaction.
func (s *Store) CreateAPIKey(ctx context.Context, k core.APIKey, bot *core.User) error {
	return s.txOnce(ctx, func(tx *txn) error {
		if bot != nil {
			if _, err := tx.ExecContext(ctx, sqlInsertUser, userArgs(*bot)...); err != nil {
				return translate(err, "user")
			}
		}
		var botID any
		if k.BotUserID != "" {
			botID = k.BotUserID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, scope, bot_user_id, secret_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, k.Name, string(k.Scope), botID, k.SecretHash, toMS(k.CreatedAt))
		return translate(err, "API key")
	})
}

// APIKey returns the key with that id or core.ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (core.APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = ?`, id))
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
	items, err := queryAll(ctx, s.r, scanAPIKey, `SELECT `+apiKeyCols+` FROM api_keys WHERE id > ? ORDER BY id LIMIT ?`,
		after[0], limit+1)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	return pageOf(items, limit, func(k core.APIKey) []string { return []string{k.ID} }), nil
}

// RevokeAPIKey marks the key revoked (once) and returns it.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (core.APIKey, error) {
	var k core.APIKey
	err := s.txOnce(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			toMS(at), id); err != nil {
			return translate(err, "API key")
		}
		var err error
		k, err = scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE id = ?`, id))
		return translate(err, "API key")
	})
	return k, err
}

// SetDeactivated sets or clears the user's deactivation (a set one keeps its first time) and returns the user.
func (s *Store) SetDeactivated(ctx context.Context, userID string, at *time.Time) (core.User, error) {
	var u core.User
	err := s.txOnce(ctx, func(tx *txn) error {
		q := `UPDATE users SET deactivated_at = NULL WHERE id = ?`
		args := []any{userID}
		if at != nil {
			q = `UPDATE users SET deactivated_at = coalesce(deactivated_at, ?) WHERE id = ?`
			args = []any{toMS(*at), userID}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return translate(err, "user")
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, userID))
		return translate(err, "user")
	})
	return u, err
}

// SetAdmin gives or takes the user the system role admin and returns the user.
func (s *Store) SetAdmin(ctx context.Context, userID string, admin bool) (core.User, error) {
	u, err := scanUser(s.w.QueryRowContext(ctx, `UPDATE users SET admin = ? WHERE id = ? RETURNING `+userCols,
		admin, userID))
	return u, translate(err, "user")
}

// SetDisplayName replaces the user's display name (and its lowercased copy, which search reads) and returns the user.
func (s *Store) SetDisplayName(ctx context.Context, userID, displayName string) (core.User, error) {
	u, err := scanUser(s.w.QueryRowContext(ctx, `UPDATE users SET display_name = ?, display_lower = ? WHERE id = ?
		RETURNING `+userCols, displayName, strings.ToLower(displayName), userID))
	return u, translate(err, "user")
}
