package chat

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// Caller is who makes a request: a user (signed in with a session, an application token or a bot's API key) or
// an admin API key, which is no user and acts through the admin API and moderation only.
type Caller struct {
	User core.User    // zero for an admin key
	Key  *core.APIKey // the API key of the request, nil for sessions and application tokens
}

// Admin reports whether the caller may use the admin API: an admin API key, or a user with the system role
// admin signed in as themselves (never through a bot's key).
func (c Caller) Admin() bool {
	if c.Key != nil {
		return c.Key.Scope == core.ScopeAdmin
	}
	return c.User.Admin && c.User.ID != ""
}

// NewAPIKeyInput is a key to create. A key of scope bot creates its bot user, BotUsername (and
// BotDisplayName, default the username).
type NewAPIKeyInput struct {
	Name           string
	Scope          core.APIKeyScope
	BotUsername    string
	BotDisplayName string
}

// CreatedAPIKey is a key just created: Secret is the whole key, shown this once; Bot the bot user of a bot key.
type CreatedAPIKey struct {
	Key    core.APIKey
	Secret string
	Bot    *core.User
}

// CreateAPIKey creates an API key, for an admin (caller.Admin); CreateAPIKeyIn does the work.
func (s *Service) CreateAPIKey(ctx context.Context, caller Caller, in NewAPIKeyInput) (CreatedAPIKey, error) {
	if err := requireAdmin(caller); err != nil {
		return CreatedAPIKey{}, err
	}
	k, err := CreateAPIKeyIn(ctx, s.d.APIKeys, s.d.IDs, s.d.Clock, in)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	return k, s.audit(ctx, caller, AuditAPIKeyCreate, AuditTargetAPIKey, k.Key.ID, "", k.AuditDetails())
}

// AuditDetails are what the audit log keeps of a key's creation: its scope, name and bot user.
func (k CreatedAPIKey) AuditDetails() map[string]string {
	details := map[string]string{auditDetailScope: string(k.Key.Scope), auditDetailName: k.Key.Name}
	if k.Bot != nil {
		details["botUserId"] = k.Bot.ID
	}
	return details
}

// CreateAPIKeyIn creates an API key in store: the key is the prefix, a new id, '_' and 32 random bytes
// (base64url); only the SHA-256 of the secret part is stored (the secret is random, so a fast hash is enough).
// The command line (scalechat apikey create) calls it directly.
func CreateAPIKeyIn(ctx context.Context, store ports.APIKeyStore, ids ports.IDGenerator, clock ports.Clock,
	in NewAPIKeyInput) (CreatedAPIKey, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > core.MaxAPIKeyNameLen || core.Blank(name) {
		return CreatedAPIKey{}, core.Invalid("name", "name must be 1 to %d characters", core.MaxAPIKeyNameLen)
	}
	if !in.Scope.Valid() {
		return CreatedAPIKey{}, core.Invalid("scope", "scope must be %s or %s", core.ScopeAdmin, core.ScopeBot)
	}
	now := clock.Now().UTC().Truncate(time.Millisecond)
	k := core.APIKey{ID: ids.NewID(), Name: name, Scope: in.Scope, CreatedAt: now}
	var bot *core.User
	switch {
	case in.Scope == core.ScopeBot:
		username, err := core.NormalizeUsername(in.BotUsername)
		if err != nil {
			return CreatedAPIKey{}, core.Invalid("botUsername", "%s", core.AsError(err).Message)
		}
		display, err := core.CleanDisplayName(in.BotDisplayName, username)
		if err != nil {
			return CreatedAPIKey{}, core.Invalid("botDisplayName", "%s", core.AsError(err).Message)
		}
		bot = &core.User{ID: ids.NewID(), Username: username, DisplayName: display, Bot: true, CreatedAt: now}
		k.BotUserID = bot.ID
	case in.BotUsername != "" || in.BotDisplayName != "":
		return CreatedAPIKey{}, core.Invalid("botUsername", "only a key of scope bot has a bot user")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return CreatedAPIKey{}, err
	}
	plain := base64.RawURLEncoding.EncodeToString(secret)
	k.SecretHash = HashToken(plain)
	if err := store.CreateAPIKey(ctx, k, bot); err != nil {
		if errors.Is(err, core.ErrAlreadyExists) && bot != nil {
			return CreatedAPIKey{}, &core.Error{Code: core.CodeAlreadyExists, Field: "botUsername", Message: "username is taken"}
		}
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{Key: k, Secret: core.APIKeyPrefix + k.ID + "_" + plain, Bot: bot}, nil
}

// APIKeys lists the API keys, for an admin.
func (s *Service) APIKeys(ctx context.Context, caller Caller, page core.PageRequest) (core.Page[core.APIKey], error) {
	if err := requireAdmin(caller); err != nil {
		return core.Page[core.APIKey]{}, err
	}
	return s.d.APIKeys.APIKeys(ctx, page)
}

// RevokeAPIKey revokes a key, for an admin: it is refused from then on, and the real-time connections of a bot
// key end on every node. An admin key cannot revoke itself (which would lock the caller out mid-request).
func (s *Service) RevokeAPIKey(ctx context.Context, caller Caller, id string) (core.APIKey, error) {
	if err := requireAdmin(caller); err != nil {
		return core.APIKey{}, err
	}
	if caller.Key != nil && caller.Key.ID == id {
		return core.APIKey{}, core.Errorf(core.CodeConflict, "an API key cannot revoke itself; use another admin key")
	}
	k, err := s.d.APIKeys.RevokeAPIKey(ctx, id, s.d.Clock.Now().UTC().Truncate(time.Millisecond))
	if err != nil {
		return core.APIKey{}, notFoundAs(err, "API key not found")
	}
	if k.BotUserID != "" {
		s.publish(ctx, core.UserTopic(k.BotUserID), core.Envelope{Session: &core.SessionEnded{UserID: k.BotUserID, All: true}})
	}
	return k, s.audit(ctx, caller, AuditAPIKeyRevoke, AuditTargetAPIKey, k.ID, "", nil)
}

// requireAdmin refuses callers that are not admins.
func requireAdmin(caller Caller) error {
	if !caller.Admin() {
		return core.Errorf(core.CodePermissionDenied, "this needs an admin API key or a user with the system role admin")
	}
	return nil
}

// AuthenticateCaller returns who token belongs to: a user (session, application token, bot key) or an admin
// key; unauthenticated otherwise.
func (s *Service) AuthenticateCaller(ctx context.Context, token string) (Caller, error) {
	if strings.HasPrefix(token, core.APIKeyPrefix) {
		k, u, err := s.authenticateKey(ctx, token)
		if err != nil {
			return Caller{}, err
		}
		return Caller{User: u, Key: &k}, nil
	}
	u, _, err := s.AuthenticateSession(ctx, token)
	return Caller{User: u}, err
}

// authenticateKey checks an API key: it must exist, match its stored hash and not be revoked. A bot key
// returns its bot user too.
func (s *Service) authenticateKey(ctx context.Context, token string) (core.APIKey, core.User, error) {
	bad := core.Errorf(core.CodeUnauthenticated, "invalid API key")
	id, secret, ok := core.ParseAPIKey(token)
	if !ok {
		return core.APIKey{}, core.User{}, bad
	}
	k, err := s.d.APIKeys.APIKey(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return core.APIKey{}, core.User{}, bad
	}
	if err != nil {
		return core.APIKey{}, core.User{}, err
	}
	if subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(k.SecretHash)) != 1 {
		return core.APIKey{}, core.User{}, bad
	}
	if k.Revoked() {
		return core.APIKey{}, core.User{}, core.Errorf(core.CodeUnauthenticated, "the API key was revoked")
	}
	if k.Scope != core.ScopeBot {
		return k, core.User{}, nil
	}
	u, err := s.d.Users.UserByID(ctx, k.BotUserID)
	if err != nil {
		return core.APIKey{}, core.User{}, err
	}
	if err := active(u); err != nil {
		return core.APIKey{}, core.User{}, err
	}
	return k, u, nil
}

// botSessionTTL is the session of a socket opened with a bot key: a key does not expire (it is revoked, which
// ends its sockets).
const botSessionTTL = 100 * 365 * 24 * time.Hour
