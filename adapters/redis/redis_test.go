package redis_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/core"
)

// The tests need a real Redis; they fail, never skip, when it is missing.
const startHint = `start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`

func testURL() string {
	return cmp.Or(os.Getenv("SCALECHAT_TEST_REDIS_URL"), "redis://127.0.0.1:6379/0")
}

// testPrefix returns a key prefix no other test run uses.
func testPrefix() string { return "scalechat-test:" + rand.Text()[:12] + ":" }

// openTest opens a client on the test server with cfg (URL defaulting to the test server's); at cleanup it
// deletes the keys under cfg.KeyPrefix and closes the client.
func openTest(t *testing.T, cfg redis.Config) *redis.Client {
	t.Helper()
	cfg.URL = cmp.Or(cfg.URL, testURL())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := redis.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("redis at %s is unreachable (%v); %s", cfg.URL, err, startHint)
	}
	t.Cleanup(func() {
		assert.NoError(t, c.Close())
		if cfg.KeyPrefix != "" {
			deleteKeys(t, cfg.URL, cfg.KeyPrefix)
		}
	})
	return c
}

// openFresh opens a client with a random key prefix.
func openFresh(t *testing.T) *redis.Client {
	t.Helper()
	return openTest(t, redis.Config{KeyPrefix: testPrefix()})
}

// rawClient returns a plain go-redis client on url, to inspect keys.
func rawClient(t *testing.T, url string) *goredis.Client {
	t.Helper()
	opts, err := goredis.ParseURL(url)
	require.NoError(t, err)
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func deleteKeys(t *testing.T, url, prefix string) {
	opts, err := goredis.ParseURL(url)
	require.NoError(t, err)
	rdb := goredis.NewClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	assert.NoError(t, iter.Err())
	if len(keys) > 0 {
		assert.NoError(t, rdb.Del(ctx, keys...).Err())
	}
}

// stepClock is a ports.Clock that moves only when told to.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock { return &stepClock{now: time.UnixMilli(time.Now().UnixMilli())} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// systemClock is the real clock (the contract suites require it).
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cfg, err := redis.Config{}.Validate()
	require.NoError(t, err)
	assert.Equal(t, redis.Config{URL: redis.DefaultURL, KeyPrefix: redis.DefaultKeyPrefix,
		FanoutQueue: redis.DefaultFanoutQueue, LastSeenTTL: redis.DefaultLastSeenTTL}, cfg)

	for name, bad := range map[string]redis.Config{
		"url":            {URL: "http://user:secret@host/0"},
		"prefix braces":  {KeyPrefix: "app{x}:"},
		"prefix glob":    {KeyPrefix: "app*"},
		"prefix spaces":  {KeyPrefix: " app:"},
		"negative queue": {FanoutQueue: -1},
		"short last ttl": {LastSeenTTL: time.Millisecond},
	} {
		_, err := bad.Validate()
		assert.ErrorIs(t, err, core.ErrInvalidArgument, name)
		assert.NotContains(t, core.AsError(err).Message, "secret", "%s: a client-safe message never shows the password", name)
	}
}

func TestOpenFailsWhenRedisIsUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := redis.Open(ctx, redis.Config{URL: "redis://127.0.0.1:" + freePort(t) + "/0"})
	assert.ErrorIs(t, err, core.ErrUnavailable)
}

func TestPing(t *testing.T) {
	t.Parallel()
	c := openFresh(t)
	assert.NoError(t, c.Ping(t.Context()))
}
