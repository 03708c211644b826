package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestRateLimiterContract(t *testing.T) {
	porttest.TestRateLimiter(t, func(t *testing.T) ports.RateLimiter {
		return redis.NewRateLimiter(openFresh(t), systemClock{})
	})
}

func TestRateLimiterSpacesActionsEvenly(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	clock := newStepClock()
	l := redis.NewRateLimiter(openTest(t, redis.Config{KeyPrefix: prefix}), clock)
	rate := core.Rate{Limit: 4, Per: 4 * time.Second} // one per second, bursts of 4
	allow := func() (bool, time.Duration) {
		ok, retry, err := l.Allow(t.Context(), "k", rate)
		require.NoError(t, err)
		return ok, retry
	}
	for range 4 {
		ok, _ := allow()
		require.True(t, ok)
	}
	ok, retry := allow()
	assert.False(t, ok)
	assert.Equal(t, time.Second, retry)
	ttl := rawClient(t, testURL()).PTTL(t.Context(), prefix+"rl:k").Val()
	assert.True(t, ttl > 3*time.Second && ttl <= 4*time.Second, "the key lives until the allowance is full: %v", ttl)

	clock.Advance(400 * time.Millisecond)
	ok, retry = allow()
	assert.False(t, ok)
	assert.Equal(t, 600*time.Millisecond, retry)

	clock.Advance(600 * time.Millisecond)
	ok, _ = allow()
	assert.True(t, ok, "one action per second comes back")
	ok, _ = allow()
	assert.False(t, ok)

	clock.Advance(time.Hour)
	for range 4 {
		ok, _ := allow()
		assert.True(t, ok, "an idle key gets its full burst back, not more")
	}
	ok, _ = allow()
	assert.False(t, ok)
}

func TestRateLimiterIsSharedAcrossNodes(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := redis.NewRateLimiter(openTest(t, redis.Config{KeyPrefix: prefix}), systemClock{})
	b := redis.NewRateLimiter(openTest(t, redis.Config{KeyPrefix: prefix}), systemClock{})
	rate := core.Rate{Limit: 2, Per: time.Hour}
	for i, l := range []*redis.RateLimiter{a, b, a, b} {
		ok, _, err := l.Allow(t.Context(), "k", rate)
		require.NoError(t, err)
		assert.Equal(t, i < 2, ok, "call %d: both nodes spend one allowance", i)
	}
}

func TestRateLimiterRejectsInvalidRates(t *testing.T) {
	t.Parallel()
	l := redis.NewRateLimiter(openFresh(t), systemClock{})
	for _, rate := range []core.Rate{{}, {Limit: 1}, {Per: time.Second}, {Limit: -1, Per: time.Second}} {
		_, _, err := l.Allow(t.Context(), "k", rate)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, "%+v", rate)
	}
}
