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

func TestPresenceContract(t *testing.T) {
	porttest.TestPresence(t, func(t *testing.T) ports.Presence {
		return redis.NewPresence(openFresh(t), systemClock{})
	})
}

func TestPresenceExpiryWithClock(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	clock := newStepClock()
	p := redis.NewPresence(openTest(t, redis.Config{KeyPrefix: prefix}), clock)
	ctx := t.Context()
	start := clock.Now()

	online, err := p.Touch(ctx, "u", "c1", 10*time.Second)
	require.NoError(t, err)
	assert.True(t, online)
	clock.Advance(5 * time.Second)
	online, err = p.Touch(ctx, "u", "c1", 10*time.Second) // now live until start+15s
	require.NoError(t, err)
	assert.False(t, online)

	clock.Advance(9 * time.Second)
	st, err := p.Status(ctx, []string{"u"})
	require.NoError(t, err)
	assert.Equal(t, core.Presence{UserID: "u", Online: true, LastSeenAt: clock.Now()}, st["u"])

	clock.Advance(time.Second) // start+15s: expired
	st, err = p.Status(ctx, []string{"u"})
	require.NoError(t, err)
	assert.False(t, st["u"].Online)
	assert.True(t, start.Add(5*time.Second).Equal(st["u"].LastSeenAt), "last seen at the last touch, got %v", st["u"].LastSeenAt)

	rdb := rawClient(t, testURL())
	conns, seen := prefix+"presence:{u}:conns", prefix+"presence:{u}:seen"
	assert.Positive(t, rdb.PTTL(ctx, conns).Val(), "the connection set expires by itself")
	assert.InDelta(t, redis.DefaultLastSeenTTL, rdb.PTTL(ctx, seen).Val(), float64(time.Minute),
		"the last-seen time is kept for LastSeenTTL")

	online, err = p.Touch(ctx, "u", "c2", time.Second)
	require.NoError(t, err)
	assert.True(t, online, "back online after expiry")
	offline, err := p.Drop(ctx, "u", "c1")
	require.NoError(t, err)
	assert.False(t, offline, "c1 had expired already: dropping it changes nothing")
	clock.Advance(500 * time.Millisecond)
	offline, err = p.Drop(ctx, "u", "c2")
	require.NoError(t, err)
	assert.True(t, offline)
	st, err = p.Status(ctx, []string{"u"})
	require.NoError(t, err)
	assert.True(t, clock.Now().Equal(st["u"].LastSeenAt), "last seen when the last connection was dropped")
}

func TestPresenceIsSharedAcrossNodes(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := redis.NewPresence(openTest(t, redis.Config{KeyPrefix: prefix}), systemClock{})
	b := redis.NewPresence(openTest(t, redis.Config{KeyPrefix: prefix}), systemClock{})
	ctx := t.Context()
	for _, step := range []struct {
		p      *redis.Presence
		touch  bool
		conn   string
		change bool
	}{
		{a, true, "on-a", true},
		{b, true, "on-b", false},
		{a, false, "on-a", false},
		{b, false, "on-b", true},
	} {
		var changed bool
		var err error
		if step.touch {
			changed, err = step.p.Touch(ctx, "u", step.conn, time.Minute)
		} else {
			changed, err = step.p.Drop(ctx, "u", step.conn)
		}
		require.NoError(t, err)
		assert.Equal(t, step.change, changed, "touch=%v %s", step.touch, step.conn)
	}
	st, err := a.Status(ctx, []string{"u"})
	require.NoError(t, err)
	assert.False(t, st["u"].Online)
	assert.WithinDuration(t, time.Now(), st["u"].LastSeenAt, 5*time.Second)
}

func TestPresenceRejectsNonPositiveTTL(t *testing.T) {
	t.Parallel()
	p := redis.NewPresence(openFresh(t), systemClock{})
	_, err := p.Touch(t.Context(), "u", "c", 0)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
}
