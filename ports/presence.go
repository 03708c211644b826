package ports

import (
	"context"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Presence tracks which users have live connections, across nodes.
type Presence interface {
	// Touch records (or refreshes) connection connID of userID, alive for ttl unless touched again.
	// online is true when this made the user go from offline to online.
	Touch(ctx context.Context, userID, connID string, ttl time.Duration) (online bool, err error)
	// Drop removes a connection; offline is true when it was the user's last live connection.
	Drop(ctx context.Context, userID, connID string) (offline bool, err error)
	// Status returns the presence of each user (unknown users are offline with a zero LastSeenAt).
	Status(ctx context.Context, userIDs []string) (map[string]core.Presence, error)
	// Expire finds up to limit users who went offline without a Drop saying so (every connection of theirs
	// expired: a node froze or died) and returns them, offline, with their last-seen time. Each such going
	// offline is returned once, to one caller, across every node sharing the tracker; a user is reported
	// again only after being online again (a Touch that returned online=true).
	Expire(ctx context.Context, limit int) ([]core.Presence, error)
}

// RateLimiter enforces rates per key (e.g. "send:<userId>").
type RateLimiter interface {
	// Allow takes one action from key's allowance. When none is left it returns allowed=false and how long
	// until one is.
	Allow(ctx context.Context, key string, rate core.Rate) (allowed bool, retryAfter time.Duration, err error)
}
