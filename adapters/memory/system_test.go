package memory_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
)

// stepClock is a ports.Clock that moves only when told to.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock { return &stepClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)} }

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

func TestSystemClock(t *testing.T) {
	t.Parallel()
	before := time.Now()
	now := memory.SystemClock{}.Now()
	assert.False(t, now.Before(before))
	assert.WithinDuration(t, time.Now(), now, time.Second)
}

func TestUUIDv7(t *testing.T) {
	t.Parallel()
	var gen memory.UUIDv7
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = gen.NewID()
	}
	assert.True(t, slices.IsSorted(ids), "ids are time-ordered")
	assert.Len(t, slices.Compact(slices.Clone(ids)), len(ids), "ids are unique")
	for _, id := range ids[:10] {
		u, err := uuid.Parse(id)
		require.NoError(t, err)
		assert.Equal(t, uuid.Version(7), u.Version())
		assert.Equal(t, u.String(), id, "canonical lowercase form")
		sec, nsec := u.Time().UnixTime()
		assert.WithinDuration(t, time.Now(), time.Unix(sec, nsec), time.Minute)
	}
}
