package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.RateLimiter = (*RateLimiter)(nil)

// gcraScript keeps per key the theoretical arrival time (TAT) of the next action, in Unix microseconds of
// the callers' clock; microseconds keep every value exact in Lua's doubles. KEYS tat; ARGV now, interval,
// period. Returns 0 when allowed, else the microseconds to wait. The key expires when the allowance is
// full again, so idle keys cost nothing.
var gcraScript = goredis.NewScript(`
local now, interval, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local nxt = tat + interval
local wait = nxt - now - per
if wait > 0 then return wait end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', math.ceil((nxt - now) / 1000)))
return 0
`)

// RateLimiter is a cluster-wide ports.RateLimiter using the generic cell rate algorithm (GCRA), like the
// memory one, in one Lua script per call: actions are spaced Per/Limit apart with bursts of up to Limit,
// and refused calls take nothing. Time comes from the clock given to NewRateLimiter, so nodes should keep
// their clocks in sync. Periods are rounded up to, and spacings down to, whole microseconds.
type RateLimiter struct {
	c     *Client
	clock ports.Clock
}

// NewRateLimiter returns a limiter on c's server, telling time by clock.
func NewRateLimiter(c *Client, clock ports.Clock) *RateLimiter {
	return &RateLimiter{c: c, clock: clock}
}

// Allow takes one action from key's allowance, or reports how long until one is available.
func (l *RateLimiter) Allow(ctx context.Context, key string, rate core.Rate) (bool, time.Duration, error) {
	if rate.Limit <= 0 || rate.Per <= 0 {
		return false, 0, core.Invalid("rate", "rate limit and period must be positive")
	}
	per := (rate.Per + time.Microsecond - 1).Microseconds()
	interval := max(rate.Per/time.Duration(rate.Limit), time.Microsecond).Microseconds()
	wait, err := gcraScript.Run(ctx, l.c.rdb, []string{l.c.key("rl:", key)},
		l.clock.Now().UnixMicro(), interval, per).Int64()
	if err != nil {
		return false, 0, unavailable(err, "rate limit")
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Microsecond, nil
	}
	return true, 0, nil
}
