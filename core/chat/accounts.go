package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
)

// RegisterInput is a new account.
type RegisterInput struct {
	Username    string
	Password    string
	DisplayName string
}

// Login is a successful log-in: the bearer token is shown once and stored only as a hash.
type Login struct {
	Token     string
	ExpiresAt time.Time
	User      core.User
}

// Register creates an account. A taken username fails with already_exists.
func (s *Service) Register(ctx context.Context, in RegisterInput) (core.User, error) {
	if err := s.passwordAccounts(); err != nil {
		return core.User{}, err
	}
	username, err := core.NormalizeUsername(in.Username)
	if err != nil {
		return core.User{}, err
	}
	if err := core.ValidatePassword(in.Password); err != nil {
		return core.User{}, err
	}
	display, err := core.CleanDisplayName(in.DisplayName, username)
	if err != nil {
		return core.User{}, err
	}
	if err := s.allowClient(ctx, LimitRegisterIP, "accounts registered from this address"); err != nil {
		return core.User{}, err
	}
	hash, err := s.d.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return core.User{}, err
	}
	u := core.User{ID: s.d.IDs.NewID(), Username: username, DisplayName: display, PasswordHash: hash,
		CreatedAt: s.d.Clock.Now().UTC().Truncate(time.Millisecond)}
	if err := s.d.Users.CreateUser(ctx, u); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) {
			return core.User{}, &core.Error{Code: core.CodeAlreadyExists, Field: "username", Message: "username is taken"}
		}
		return core.User{}, err
	}
	return u, nil
}

// LogIn checks a username and password and opens a session. Attempts count against LimitLoginIP (per client
// address) and LimitLoginUser (per username, whether or not it exists), before any password is hashed.
func (s *Service) LogIn(ctx context.Context, username, password string) (Login, error) {
	if err := s.passwordAccounts(); err != nil {
		return Login{}, err
	}
	bad := core.Errorf(core.CodeUnauthenticated, "invalid username or password")
	name := strings.ToLower(strings.TrimSpace(username))
	if len(name) > 2*core.MaxUsernameLen || len(password) > 4*core.MaxPasswordLen {
		return Login{}, bad
	}
	if err := s.allowClient(ctx, LimitLoginIP, "log-in attempts from this address"); err != nil {
		return Login{}, err
	}
	if err := s.allowAccount(ctx, name, "log-in attempts for this account"); err != nil {
		return Login{}, err
	}
	u, err := s.checkPassword(ctx, name, password)
	if err != nil {
		return Login{}, err
	}
	return s.openSession(ctx, u)
}

// allowAccount takes one password attempt on username from both steps of its back-off: a burst of attempts,
// then one every 90 s (login-user), and past 50 in a day one every half hour (login-user-day).
func (s *Service) allowAccount(ctx context.Context, username, what string) error {
	if err := s.allow(ctx, LimitLoginUser, username, what); err != nil {
		return err
	}
	return s.allow(ctx, LimitLoginUserDay, username, what)
}

// checkPassword returns the user named username if password is theirs, or unauthenticated. An unknown user
// costs one hash too, so timing does not tell which usernames exist.
func (s *Service) checkPassword(ctx context.Context, username, password string) (core.User, error) {
	bad := core.Errorf(core.CodeUnauthenticated, "invalid username or password")
	u, err := s.d.Users.UserByUsername(ctx, username)
	if err == nil && u.PasswordHash == "" { // signs in through the host application only
		err = core.ErrNotFound
	}
	switch {
	case errors.Is(err, core.ErrNotFound):
		if _, err := s.d.Hasher.Verify(ctx, s.dummy, password); err != nil {
			return core.User{}, err
		}
		return core.User{}, bad
	case err != nil:
		return core.User{}, err
	}
	ok, err := s.d.Hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil {
		return core.User{}, err
	}
	if !ok {
		return core.User{}, bad
	}
	if err := active(u); err != nil {
		return core.User{}, err
	}
	return u, nil
}

// openSession stores a new session of u and returns its token.
func (s *Service) openSession(ctx context.Context, u core.User) (Login, error) {
	token, err := newToken()
	if err != nil {
		return Login{}, err
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Millisecond)
	sess := core.Session{TokenHash: HashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.d.Sessions.CreateSession(ctx, sess); err != nil {
		return Login{}, err
	}
	return Login{Token: token, ExpiresAt: sess.ExpiresAt, User: u}, nil
}

// LogOutEverywhere ends every session of the user token belongs to, this one included, and their real-time
// connections on every node.
func (s *Service) LogOutEverywhere(ctx context.Context, token string) error {
	u, _, err := s.AuthenticateSession(ctx, token)
	if err != nil {
		return err
	}
	return s.endSessions(ctx, u.ID, "")
}

// endSessions deletes every session of userID but except's and announces it to every node.
func (s *Service) endSessions(ctx context.Context, userID, except string) error {
	if _, err := s.d.Sessions.DeleteUserSessions(ctx, userID, except); err != nil {
		return err
	}
	s.publish(ctx, core.UserTopic(userID), core.Envelope{Session: &core.SessionEnded{UserID: userID, All: true,
		Except: except}})
	return nil
}

// ChangePassword replaces the password of the user token belongs to, once current is proven, and ends every
// other session of the user (and their connections); the session of token stays. Attempts count against
// LimitLoginUser, like log-ins.
func (s *Service) ChangePassword(ctx context.Context, token, current, next string) error {
	if err := s.passwordAccounts(); err != nil {
		return err
	}
	u, sess, err := s.AuthenticateSession(ctx, token)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return core.Errorf(core.CodePermissionDenied, "this account has no password: it signs in through its application")
	}
	if err := core.ValidatePassword(next); err != nil {
		return err
	}
	if err := s.allowAccount(ctx, u.Username, "password attempts for this account"); err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, u.Username, current); err != nil {
		if errors.Is(err, core.ErrUnauthenticated) {
			// The caller is authenticated: a wrong current password is bad input, not a bad token.
			return &core.Error{Code: core.CodePermissionDenied, Field: "currentPassword", Message: "the current password is wrong"}
		}
		return err
	}
	hash, err := s.d.Hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := s.d.Users.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	return s.endSessions(ctx, u.ID, sess.TokenHash)
}

// LogOut ends the session of token, and with it the real-time connections it authenticated, on every node
// (an announcement on the user's fan-out topic; best effort, as every publication).
func (s *Service) LogOut(ctx context.Context, token string) error {
	hash := HashToken(token)
	sess, err := s.d.Sessions.Session(ctx, hash)
	if errors.Is(err, core.ErrNotFound) {
		return nil // ended already
	}
	if err != nil {
		return err
	}
	if err := s.d.Sessions.DeleteSession(ctx, hash); err != nil {
		return err
	}
	s.publish(ctx, core.UserTopic(sess.UserID), core.Envelope{Session: &core.SessionEnded{UserID: sess.UserID,
		TokenHash: hash}})
	return nil
}

// AuthenticateSession is Authenticate that also returns the session: a real-time connection ends with it.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (core.User, core.Session, error) {
	bad := core.Errorf(core.CodeUnauthenticated, "invalid or expired token")
	if strings.HasPrefix(token, core.APIKeyPrefix) {
		k, u, err := s.authenticateKey(ctx, token)
		if err != nil {
			return core.User{}, core.Session{}, err
		}
		if k.Scope != core.ScopeBot {
			return core.User{}, core.Session{}, core.Errorf(core.CodeUnauthenticated,
				"an admin API key acts through the admin API only; a bot key or a user's token signs in")
		}
		now := s.d.Clock.Now().UTC().Truncate(time.Millisecond)
		return u, core.Session{TokenHash: HashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(botSessionTTL)}, nil
	}
	if strings.Count(token, ".") == 2 { // a JSON Web Token of the host application; sessions' tokens have no dot
		if s.d.Identity == nil {
			return core.User{}, core.Session{}, core.Errorf(core.CodeUnauthenticated,
				"invalid token: this server accepts no tokens of an application (no JWT verification is configured)")
		}
		return s.authenticateExternal(ctx, token)
	}
	if token == "" || len(token) > 200 {
		return core.User{}, core.Session{}, bad
	}
	sess, u, err := s.d.Sessions.SessionUser(ctx, HashToken(token)) // one read: every connect pays it
	if errors.Is(err, core.ErrNotFound) {
		return core.User{}, core.Session{}, bad
	}
	if err != nil {
		return core.User{}, core.Session{}, err
	}
	if sess.Expired(s.d.Clock.Now()) {
		_ = s.d.Sessions.DeleteSession(ctx, sess.TokenHash)
		return core.User{}, core.Session{}, bad
	}
	if err := active(u); err != nil {
		return core.User{}, core.Session{}, err
	}
	return u, sess, nil
}

// User returns a user by id.
func (s *Service) User(ctx context.Context, id string) (core.User, error) {
	u, err := s.d.Users.UserByID(ctx, id)
	return u, notFoundAs(err, "user not found")
}

// SearchUsers finds users by username prefix or display name.
func (s *Service) SearchUsers(ctx context.Context, q string, page core.PageRequest) (core.Page[core.User], error) {
	q = strings.TrimSpace(q)
	if len(q) > core.MaxUsernameLen*2 {
		return core.Page[core.User]{}, core.Invalid("q", "query is too long")
	}
	var err error
	if page.Limit, err = core.ClampLimit(page.Limit, core.DefaultPageLimit, core.MaxHistoryLimit); err != nil {
		return core.Page[core.User]{}, err
	}
	return s.d.Users.SearchUsers(ctx, q, page)
}

// HashToken returns the stored form of a bearer token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "sc_" + base64.RawURLEncoding.EncodeToString(b), nil
}
