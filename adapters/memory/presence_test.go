package memory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestPresenceContract(t *testing.T) {
	porttest.TestPresence(t, func(t *testing.T) ports.Presence { return memory.NewPresence(memory.SystemClock{}) })
}

func TestPresenceExpiryWithClock(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	p := memory.NewPresence(clock)
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
	assert.Equal(t, core.Presence{UserID: "u", LastSeenAt: start.Add(5 * time.Second)}, st["u"],
		"last seen at the last touch")
}

func TestPresenceSweepsConnectionsNobodyAsksAbout(t *testing.T) {
	t.Parallel()
	clock := newStepClock()
	p := memory.NewPresence(clock)
	ctx := t.Context()
	_, err := p.Touch(ctx, "gone", "c1", time.Second)
	require.NoError(t, err)
	clock.Advance(2 * time.Minute)
	_, err = p.Touch(ctx, "other", "c1", time.Second) // triggers the sweep
	require.NoError(t, err)
	st, err := p.Status(ctx, []string{"gone"})
	require.NoError(t, err)
	assert.False(t, st["gone"].Online)
	assert.False(t, st["gone"].LastSeenAt.IsZero())
}

func TestPresenceRejectsNonPositiveTTL(t *testing.T) {
	t.Parallel()
	p := memory.NewPresence(memory.SystemClock{})
	_, err := p.Touch(t.Context(), "u", "c", 0)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
}
