// Package redis implements the cluster-wide ports on Redis (github.com/redis/go-redis/v9): fan-out over
// pub/sub, presence in sorted sets and GCRA rate limiting, the last two in Lua scripts so that every
// read-modify-write is atomic across nodes. Redis holds nothing durable here: losing its data loses only
// ephemeral state (presence, rate allowances, in-flight fan-out), which clients heal through sync.
package redis

import (
	"context"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.Pinger = (*Client)(nil)

// Defaults for Config's zero fields.
const (
	DefaultURL         = "redis://127.0.0.1:6379/0"
	DefaultKeyPrefix   = "scalechat:"
	DefaultFanoutQueue = 10000
	DefaultLastSeenTTL = 30 * 24 * time.Hour
)

// Config configures Open.
type Config struct {
	// URL locates the server: redis://[user:password@]host:port/db, or rediss:// for TLS (default DefaultURL).
	URL string
	// KeyPrefix starts every key and pub/sub channel, so several deployments (or test runs) can share a
	// server (default "scalechat:"). It must not contain braces, which Redis reads as hash tags.
	KeyPrefix string
	// FanoutQueue is how many envelopes may wait for one subscription's handler before new ones are dropped
	// (default 10000).
	FanoutQueue int
	// LastSeenTTL is how long a user's last-seen time is kept after their last connection (default 30 days).
	LastSeenTTL time.Duration
}

// Validate checks c and fills in defaults.
func (c Config) Validate() (Config, error) {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	if c.FanoutQueue == 0 {
		c.FanoutQueue = DefaultFanoutQueue
	}
	if c.LastSeenTTL == 0 {
		c.LastSeenTTL = DefaultLastSeenTTL
	}
	switch {
	case strings.ContainsAny(c.KeyPrefix, "{}*?[]") || strings.TrimSpace(c.KeyPrefix) != c.KeyPrefix:
		return c, core.Invalid("keyPrefix", "redis: key prefix %q must not contain braces, glob characters "+
			"or surrounding spaces", c.KeyPrefix)
	case c.FanoutQueue < 0:
		return c, core.Invalid("fanoutQueue", "redis: fan-out queue must not be negative")
	case c.LastSeenTTL < time.Second:
		return c, core.Invalid("lastSeenTTL", "redis: last-seen ttl must be at least a second")
	}
	if _, err := goredis.ParseURL(c.URL); err != nil {
		// The parse error may quote the URL, password included: keep it as the internal cause only.
		return c, &core.Error{Code: core.CodeInvalidArgument, Field: "url",
			Message: "redis: url must look like redis://host:port/db", Err: err}
	}
	return c, nil
}

// Client is one connection pool to a Redis server, shared by the fan-out, presence and rate limiter built
// on it. It is safe for concurrent use.
type Client struct {
	cfg Config
	rdb *goredis.Client
}

// Open validates cfg, connects and checks that the server answers.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	opts, err := goredis.ParseURL(cfg.URL)
	if err != nil {
		return nil, core.Wrap(core.CodeInvalidArgument, err, "redis: bad url")
	}
	c := &Client{cfg: cfg, rdb: goredis.NewClient(opts)}
	if err := c.Ping(ctx); err != nil {
		_ = c.rdb.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connection pool. Close subscriptions first.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping returns nil when the server answers.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err, "ping")
	}
	return nil
}

// key returns the full name of a key or pub/sub channel.
func (c *Client) key(parts ...string) string {
	return c.cfg.KeyPrefix + strings.Join(parts, "")
}

// unavailable categorises a driver error; the cause stays internal.
func unavailable(err error, op string) error {
	return core.Wrap(core.CodeUnavailable, err, "redis: "+op+" failed")
}
