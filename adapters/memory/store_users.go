package memory

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// CreateUser stores u; a taken username or id is core.ErrAlreadyExists.
func (s *Store) CreateUser(ctx context.Context, u core.User) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.userByName[u.Username]; ok {
		return core.Errorf(core.CodeAlreadyExists, "username is taken")
	}
	if _, ok := s.d.users[u.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "user already exists")
	}
	s.d.users[u.ID] = u
	s.d.userByName[u.Username] = u.ID
	return nil
}

// UserByID returns the user or core.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (core.User, error) {
	if err := checkCtx(ctx); err != nil {
		return core.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.d.users[id]
	if !ok {
		return core.User{}, core.Errorf(core.CodeNotFound, "user not found")
	}
	return u, nil
}

// UserByUsername returns the user with that username or core.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (core.User, error) {
	if err := checkCtx(ctx); err != nil {
		return core.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.d.userByName[username]
	if !ok {
		return core.User{}, core.Errorf(core.CodeNotFound, "user not found")
	}
	return s.d.users[id], nil
}

// SearchUsers lists users whose username starts with q or whose display name contains q, by username.
func (s *Store) SearchUsers(ctx context.Context, q string, page core.PageRequest) (core.Page[core.User], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.User]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.User]{}, err
	}
	q = strings.ToLower(q)
	s.mu.RLock()
	var hits []core.User
	for _, u := range s.d.users {
		if after != nil && u.Username <= after[0] {
			continue
		}
		if strings.HasPrefix(strings.ToLower(u.Username), q) || strings.Contains(strings.ToLower(u.DisplayName), q) {
			hits = append(hits, u)
		}
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return hits[i].Username < hits[j].Username })
	if len(hits) <= limit {
		return core.Page[core.User]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.User]{Items: hits, Next: core.EncodeCursor(hits[limit-1].Username)}, nil
}

// CreateSession stores sess; a duplicate token hash is core.ErrAlreadyExists.
func (s *Store) CreateSession(ctx context.Context, sess core.Session) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.sessions[sess.TokenHash]; ok {
		return core.Errorf(core.CodeAlreadyExists, "session already exists")
	}
	s.d.sessions[sess.TokenHash] = sess
	return nil
}

// Session returns the session with that token hash or core.ErrNotFound.
func (s *Store) Session(ctx context.Context, tokenHash string) (core.Session, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Session{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.d.sessions[tokenHash]
	if !ok {
		return core.Session{}, core.Errorf(core.CodeNotFound, "session not found")
	}
	return sess, nil
}

// SessionUser returns the session with that token hash and its user, or core.ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (core.Session, core.User, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Session{}, core.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess, ok := s.d.sessions[tokenHash]
	if !ok {
		return core.Session{}, core.User{}, core.Errorf(core.CodeNotFound, "session not found")
	}
	u, ok := s.d.users[sess.UserID]
	if !ok {
		return core.Session{}, core.User{}, core.Errorf(core.CodeNotFound, "session's user not found")
	}
	return sess, u, nil
}

// DeleteExpiredSessions removes up to limit sessions expired at or before now, oldest first.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var expired []core.Session
	for _, sess := range s.d.sessions {
		if !sess.ExpiresAt.After(now) {
			expired = append(expired, sess)
		}
	}
	slices.SortFunc(expired, func(a, b core.Session) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	expired = expired[:min(len(expired), max(limit, 0))]
	for _, sess := range expired {
		delete(s.d.sessions, sess.TokenHash)
	}
	return len(expired), nil
}

// DeleteSession removes the session, if any.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.d.sessions, tokenHash)
	return nil
}

// DeleteUserSessions removes every session of userID but except.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for hash, sess := range s.d.sessions {
		if sess.UserID == userID && hash != except {
			delete(s.d.sessions, hash)
			n++
		}
	}
	return n, nil
}

// SetPasswordHash replaces the user's password hash, or fails with core.ErrNotFound.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.d.users[userID]
	if !ok {
		return core.Errorf(core.CodeNotFound, "user not found")
	}
	u.PasswordHash = hash
	s.d.users[userID] = u
	return nil
}

// UserByExternalID returns the user linked to the external identity (issuer, subject) or core.ErrNotFound.
func (s *Store) UserByExternalID(ctx context.Context, issuer, subject string) (core.User, error) {
	if err := checkCtx(ctx); err != nil {
		return core.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.d.external[externalID{issuer, subject}]
	if !ok {
		return core.User{}, core.Errorf(core.CodeNotFound, "user not found")
	}
	return s.d.users[id], nil
}

// CreateExternalUser stores u linked to the external identity (issuer, subject).
func (s *Store) CreateExternalUser(ctx context.Context, u core.User, issuer, subject string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.userByName[u.Username]; ok {
		return &core.Error{Code: core.CodeAlreadyExists, Field: "username", Message: "username is taken"}
	}
	if _, ok := s.d.users[u.ID]; ok {
		return &core.Error{Code: core.CodeAlreadyExists, Field: "username", Message: "user already exists"}
	}
	key := externalID{issuer, subject}
	if _, ok := s.d.external[key]; ok {
		return &core.Error{Code: core.CodeAlreadyExists, Field: "subject", Message: "identity already exists"}
	}
	s.d.users[u.ID] = u
	s.d.userByName[u.Username] = u.ID
	s.d.external[key] = u.ID
	return nil
}

// SetDeactivated sets or clears the user's deactivation (a set one keeps its first time) and returns the user.
func (s *Store) SetDeactivated(ctx context.Context, userID string, at *time.Time) (core.User, error) {
	return s.updateUser(ctx, userID, func(u *core.User) {
		switch {
		case at == nil:
			u.DeactivatedAt = nil
		case u.DeactivatedAt == nil:
			t := *at
			u.DeactivatedAt = &t
		}
	})
}

// SetAdmin gives or takes the system role admin.
func (s *Store) SetAdmin(ctx context.Context, userID string, admin bool) (core.User, error) {
	return s.updateUser(ctx, userID, func(u *core.User) { u.Admin = admin })
}

// SetDisplayName replaces the user's display name.
func (s *Store) SetDisplayName(ctx context.Context, userID, displayName string) (core.User, error) {
	return s.updateUser(ctx, userID, func(u *core.User) { u.DisplayName = displayName })
}

// updateUser applies change to the stored user and returns it.
func (s *Store) updateUser(ctx context.Context, userID string, change func(*core.User)) (core.User, error) {
	if err := checkCtx(ctx); err != nil {
		return core.User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.d.users[userID]
	if !ok {
		return core.User{}, core.Errorf(core.CodeNotFound, "user not found")
	}
	change(&u)
	s.d.users[userID] = u
	return u, nil
}
