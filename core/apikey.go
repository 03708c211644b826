package core

import (
	"strings"
	"time"
)

// APIKeyScope is what a server API key may do.
type APIKeyScope string

// Scopes of API keys.
const (
	// ScopeAdmin keys manage the server through the admin API (/v1/admin/...): API keys and bots.
	ScopeAdmin APIKeyScope = "admin"
	// ScopeBot keys act as their bot user, on the API a user has (REST and Socket.IO).
	ScopeBot APIKeyScope = "bot"
)

// Valid reports whether s is a known scope.
func (s APIKeyScope) Valid() bool { return s == ScopeAdmin || s == ScopeBot }

// APIKey is a server API key. The key itself (APIKeyPrefix, the id, '_', a secret) is shown once, when it is
// created; only the hash of its secret is stored.
type APIKey struct {
	ID         string
	Name       string
	Scope      APIKeyScope
	BotUserID  string // ScopeBot: the bot user the key acts as
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return k.RevokedAt != nil }

// APIKeyPrefix starts every API key (session tokens start with "sc_", application tokens are JWTs).
const APIKeyPrefix = "sck_"

// MaxAPIKeyNameLen bounds an API key's name.
const MaxAPIKeyNameLen = 64

// ParseAPIKey splits an API key into its id and secret; ok is false when key does not have the shape of one.
func ParseAPIKey(key string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, APIKeyPrefix)
	if !found || len(rest) > 200 {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || id == "" || secret == "" {
		return "", "", false
	}
	return id, secret, true
}
