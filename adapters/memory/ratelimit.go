package memory

import (
	"context"
	"sync"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.RateLimiter = (*RateLimiter)(nil)

// rateSweepEvery is how often Allow forgets keys whose allowance is full again.
const rateSweepEvery = time.Minute

// RateLimiter is an in-process ports.RateLimiter for a single node, using the generic cell rate algorithm
// (GCRA): per key it keeps only the theoretical arrival time of the next action. Actions are spaced Per/Limit
// apart, with bursts of up to Limit. Refused calls take nothing. Keys are forgotten once their allowance is full
// again, so idle keys cost no memory.
type RateLimiter struct {
	clock ports.Clock

	mu        sync.Mutex
	tat       map[string]time.Time // theoretical arrival time per key
	lastSweep time.Time
}

// NewRateLimiter returns a limiter with no history, telling time by clock.
func NewRateLimiter(clock ports.Clock) *RateLimiter {
	return &RateLimiter{clock: clock, tat: map[string]time.Time{}, lastSweep: clock.Now()}
}

// Allow takes one action from key's allowance, or reports how long until one is available.
func (l *RateLimiter) Allow(ctx context.Context, key string, rate core.Rate) (bool, time.Duration, error) {
	if rate.Limit <= 0 || rate.Per <= 0 {
		return false, 0, core.Invalid("rate", "rate limit and period must be positive")
	}
	interval := max(rate.Per/time.Duration(rate.Limit), 1)
	now := l.clock.Now()

	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= rateSweepEvery {
		for k, t := range l.tat {
			if !t.After(now) {
				delete(l.tat, k)
			}
		}
		l.lastSweep = now
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(interval)
	// Allowed while the allowance used, next-now, stays within one period; since stored values obey this,
	// retryAfter is at most one interval, which is at most Per.
	if wait := next.Sub(now) - rate.Per; wait > 0 {
		return false, wait, nil
	}
	l.tat[key] = next
	return true, 0, nil
}
