package porttest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// rlNoRefill is a rate whose allowance does not grow back during a test.
var rlNoRefill = core.Rate{Limit: 5, Per: time.Hour}

// TestRateLimiter runs the ports.RateLimiter contract against the limiter newLimiter returns, which must use
// the real clock. Keys are unique per run, so instances may share a server.
func TestRateLimiter(t *testing.T, newLimiter func(t *testing.T) ports.RateLimiter) {
	t.Run("AllowsABurstOfLimitThenRefuses", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t)
		key := uniqueName("send")
		for i := range rlNoRefill.Limit {
			rlAllow(t, l, key, rlNoRefill, true, "call %d of the burst", i+1)
		}
		retry := rlAllow(t, l, key, rlNoRefill, false, "the burst is spent")
		assert.Positive(t, retry, "a refusal says how long to wait")
		assert.LessOrEqual(t, retry, rlNoRefill.Per, "never longer than the rate's period")
	})

	t.Run("RefusalsDoNotSpendTheAllowance", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t)
		key := uniqueName("send")
		rate := core.Rate{Limit: 1, Per: time.Minute}
		rlAllow(t, l, key, rate, true, "")
		first := rlAllow(t, l, key, rate, false, "")
		var last time.Duration
		for range 20 {
			last = rlAllow(t, l, key, rate, false, "")
		}
		assert.LessOrEqual(t, last, first, "refused calls must not push the next allowance further away")
	})

	t.Run("RecoversAfterRetryAfter", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t)
		key := uniqueName("send")
		rate := core.Rate{Limit: 2, Per: 400 * time.Millisecond}
		rlAllow(t, l, key, rate, true, "")
		rlAllow(t, l, key, rate, true, "")
		retry := rlAllow(t, l, key, rate, false, "")
		require.Positive(t, retry)
		require.LessOrEqual(t, retry, rate.Per)
		time.Sleep(retry)
		require.Eventually(t, func() bool {
			ok, _, err := l.Allow(t.Context(), key, rate)
			assert.NoError(t, err)
			return ok
		}, 10*time.Second, 10*time.Millisecond, "an action is allowed again once retryAfter has passed")
	})

	t.Run("KeysAreIndependent", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t)
		a, b := uniqueName("send"), uniqueName("send")
		for range rlNoRefill.Limit {
			rlAllow(t, l, a, rlNoRefill, true, "")
		}
		rlAllow(t, l, a, rlNoRefill, false, "")
		for i := range rlNoRefill.Limit {
			rlAllow(t, l, b, rlNoRefill, true, "another key has its own allowance (call %d)", i+1)
		}
	})

	t.Run("ConcurrentCallersNeverExceedTheLimit", func(t *testing.T) {
		t.Parallel()
		l := newLimiter(t)
		key := uniqueName("send")
		rate := core.Rate{Limit: 20, Per: time.Hour}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 25 {
			wg.Go(func() {
				for range 4 {
					ok, _, err := l.Allow(t.Context(), key, rate)
					assert.NoError(t, err)
					if ok {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, rate.Limit, allowed.Load(), "exactly Limit of 100 concurrent calls are allowed")
	})
}

func rlAllow(t *testing.T, l ports.RateLimiter, key string, rate core.Rate, want bool, msgAndArgs ...any) time.Duration {
	t.Helper()
	ok, retry, err := l.Allow(t.Context(), key, rate)
	require.NoError(t, err)
	assert.Equal(t, want, ok, msgAndArgs...)
	return retry
}
