package redis

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.Presence = (*Presence)(nil)

// presenceGrace keeps a user's connection set a little past its latest expiry, so that nodes whose clocks
// run somewhat behind still see it.
const presenceGrace = time.Minute

// Each user has two keys sharing a hash tag (one slot): a sorted set of connection ids scored by expiry time
// and the last time the user was known online, both in Unix milliseconds of the callers' clock. A member
// is live while its score is after now. Numbers go back to Redis through string.format: Redis would turn a
// Lua number of 13+ digits into an exponent form.

// A third key, shared by every user, is the sorted set of users reported online (a Touch said online),
// scored by the expiry of their latest connection: Expire looks there for users whose connections all expired
// without a Drop. (The scripts touch it beside the user's keys: one Redis server, or a cluster whose prefix
// hash tag puts them in one slot.)

// touchScript: KEYS conns, seen, online; ARGV now, expiry, connID, lastSeenTTL, grace, userID. Returns 1
// when the user came online.
var touchScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wasOnline = redis.call('ZCARD', KEYS[1]) > 0
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local keep = math.max(tonumber(last[2]) - now, 0) + tonumber(ARGV[5])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', keep))
local seen = math.max(tonumber(redis.call('GET', KEYS[2]) or 0), now)
redis.call('SET', KEYS[2], string.format('%.0f', seen), 'PX', ARGV[4])
if wasOnline then
  if redis.call('ZSCORE', KEYS[3], ARGV[6]) then redis.call('ZADD', KEYS[3], last[2], ARGV[6]) end
  return 0
end
redis.call('ZADD', KEYS[3], last[2], ARGV[6])
return 1
`)

// dropScript: KEYS conns, seen, online; ARGV now, connID, lastSeenTTL, userID. Returns 1 when the user went
// offline.
var dropScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
local seen = math.max(tonumber(redis.call('GET', KEYS[2]) or 0), now)
redis.call('SET', KEYS[2], string.format('%.0f', seen), 'PX', ARGV[3])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[4])
return 1
`)

// expireScript: KEYS conns, seen, online; ARGV now, userID. Returns the user's last-seen time (Unix ms, 0
// when unknown) if this call reports them offline, -1 when they are still online or reported already.
var expireScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  if redis.call('ZSCORE', KEYS[3], ARGV[2]) then redis.call('ZADD', KEYS[3], last[2], ARGV[2]) end
  return -1
end
if redis.call('ZREM', KEYS[3], ARGV[2]) == 0 then return -1 end
return tonumber(redis.call('GET', KEYS[2]) or 0)
`)

// Presence is a cluster-wide ports.Presence. Expiry is evaluated against the clock given to NewPresence
// (so nodes should keep their clocks in sync); expired connections are removed lazily and Redis key expiry
// cleans up users nobody asks about. A user's LastSeenAt is the latest time a node touched or dropped one of
// their connections; it is kept for Config.LastSeenTTL.
type Presence struct {
	c     *Client
	clock ports.Clock
}

// NewPresence returns a tracker on c's server, telling time by clock.
func NewPresence(c *Client, clock ports.Clock) *Presence { return &Presence{c: c, clock: clock} }

// Touch records or refreshes a connection, live until now+ttl; online reports a transition from offline.
func (p *Presence) Touch(ctx context.Context, userID, connID string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, core.Invalid("ttl", "ttl must be positive")
	}
	now := p.clock.Now().UnixMilli()
	expiry := now + (ttl + time.Millisecond - 1).Milliseconds()
	online, err := touchScript.Run(ctx, p.c.rdb, p.keys(userID), now, expiry, connID,
		p.c.cfg.LastSeenTTL.Milliseconds(), presenceGrace.Milliseconds(), userID).Int()
	if err != nil {
		return false, unavailable(err, "presence touch")
	}
	return online == 1, nil
}

// Drop removes a connection; offline reports that it was the user's last live one.
func (p *Presence) Drop(ctx context.Context, userID, connID string) (bool, error) {
	offline, err := dropScript.Run(ctx, p.c.rdb, p.keys(userID), p.clock.Now().UnixMilli(), connID,
		p.c.cfg.LastSeenTTL.Milliseconds(), userID).Int()
	if err != nil {
		return false, unavailable(err, "presence drop")
	}
	return offline == 1, nil
}

// Status returns each user's presence, read in one MULTI/EXEC (reads need no script to be consistent);
// an online user's LastSeenAt is now.
func (p *Presence) Status(ctx context.Context, userIDs []string) (map[string]core.Presence, error) {
	out := make(map[string]core.Presence, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	now := p.clock.Now()
	live := make([]*goredis.IntCmd, len(userIDs))
	seen := make([]*goredis.StringCmd, len(userIDs))
	_, err := p.c.rdb.TxPipelined(ctx, func(tx goredis.Pipeliner) error {
		for i, id := range userIDs {
			keys := p.keys(id)
			live[i] = tx.ZCount(ctx, keys[0], "("+strconv.FormatInt(now.UnixMilli(), 10), "+inf")
			seen[i] = tx.Get(ctx, keys[1])
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) { // a missing last-seen key is no error
		return nil, unavailable(err, "presence status")
	}
	for i, id := range userIDs {
		if err := cmp.Or(live[i].Err(), ignoreNil(seen[i].Err())); err != nil {
			return nil, unavailable(err, "presence status")
		}
		st := core.Presence{UserID: id, Online: live[i].Val() > 0}
		if st.Online {
			st.LastSeenAt = now
		} else if ms, err := seen[i].Int64(); err == nil {
			st.LastSeenAt = time.UnixMilli(ms)
		}
		out[id] = st
	}
	return out, nil
}

// Expire reports offline the users reported online whose connections all expired; the script run per user
// makes each report happen once, whichever nodes sweep at the same time.
func (p *Presence) Expire(ctx context.Context, limit int) ([]core.Presence, error) {
	now := p.clock.Now().UnixMilli()
	ids, err := p.c.rdb.ZRangeByScore(ctx, p.c.key("presence:online"), &goredis.ZRangeBy{Min: "-inf",
		Max: strconv.FormatInt(now, 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, unavailable(err, "presence expire")
	}
	var out []core.Presence
	for _, id := range ids {
		seen, err := expireScript.Run(ctx, p.c.rdb, p.keys(id), now, id).Int64()
		if err != nil {
			return out, unavailable(err, "presence expire")
		}
		if seen < 0 {
			continue
		}
		st := core.Presence{UserID: id}
		if seen > 0 {
			st.LastSeenAt = time.UnixMilli(seen)
		}
		out = append(out, st)
	}
	return out, nil
}

// keys returns a user's connection set and last-seen keys, and the set of users reported online.
func (p *Presence) keys(userID string) []string {
	tag := "presence:{" + userID + "}:"
	return []string{p.c.key(tag, "conns"), p.c.key(tag, "seen"), p.c.key("presence:online")}
}

func ignoreNil(err error) error {
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	return err
}
