package socketio

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// countingSub wraps a real subscription (the in-process fan-out's) and records the calls made to it.
type countingSub struct {
	ports.Subscription
	mu     sync.Mutex
	joins  [][]string
	leaves [][]string
	gate   chan struct{} // when set, Join waits for it
}

func (c *countingSub) Join(ctx context.Context, topics ...string) error {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	c.joins = append(c.joins, topics)
	c.mu.Unlock()
	return c.Subscription.Join(ctx, topics...)
}

func (c *countingSub) Leave(ctx context.Context, topics ...string) error {
	c.mu.Lock()
	c.leaves = append(c.leaves, topics)
	c.mu.Unlock()
	return c.Subscription.Leave(ctx, topics...)
}

func (c *countingSub) calls() (joins, leaves int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.joins), len(c.leaves)
}

func newCounting(t *testing.T, f *memory.Fanout, got chan<- string) *countingSub {
	t.Helper()
	sub, err := f.Subscribe(context.Background(), func(topic string, _ core.Envelope) { got <- topic })
	require.NoError(t, err)
	return &countingSub{Subscription: sub}
}

// Many connections wanting topics at once cost a few batched joins, and once ready every topic is received.
func TestSubscriptionsBatchJoins(t *testing.T) {
	t.Parallel()
	f := memory.NewFanout()
	got := make(chan string, 1000)
	cs := newCounting(t, f, got)
	cs.gate = make(chan struct{})
	s := newSubscriptions(cs, time.Hour, slog.Default())
	t.Cleanup(func() { _ = s.close() })

	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			topic := fmt.Sprintf("conv:%d", i)
			s.want(topic)
			assert.NoError(t, s.ready(context.Background(), topic))
		})
	}
	time.Sleep(50 * time.Millisecond) // let every want land while the first join is held
	close(cs.gate)
	wg.Wait()
	joins, _ := cs.calls()
	assert.LessOrEqual(t, joins, 3, "joins are batched")
	assert.Equal(t, 200, s.count())
	for i := range 200 {
		require.NoError(t, f.Publish(context.Background(), fmt.Sprintf("conv:%d", i), core.Envelope{}))
	}
	for range 200 {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatal("a subscribed topic was not received")
		}
	}
}

// A topic let go and wanted again within the linger time is never left; one let go for longer is.
func TestSubscriptionsLingerBeforeLeaving(t *testing.T) {
	t.Parallel()
	f := memory.NewFanout()
	cs := newCounting(t, f, make(chan string, 10))
	s := newSubscriptions(cs, 300*time.Millisecond, slog.Default())
	t.Cleanup(func() { _ = s.close() })
	ctx := context.Background()

	s.want("conv:a")
	require.NoError(t, s.ready(ctx, "conv:a"))
	s.unwant("conv:a")
	time.Sleep(50 * time.Millisecond)
	s.want("conv:a") // a reconnect
	require.NoError(t, s.ready(ctx, "conv:a"))
	time.Sleep(700 * time.Millisecond)
	joins, leaves := cs.calls()
	assert.Equal(t, 1, joins)
	assert.Zero(t, leaves, "wanted again within the linger time")

	s.unwant("conv:a")
	require.Eventually(t, func() bool { _, l := cs.calls(); return l == 1 }, 3*time.Second, 20*time.Millisecond)
	assert.Zero(t, s.count())

	// Wanted again after it was left: joined again, and ready waits for that.
	s.want("conv:a")
	require.NoError(t, s.ready(ctx, "conv:a"))
	joins, _ = cs.calls()
	assert.Equal(t, 2, joins)
}

// ready gives up with its context when the fan-out cannot subscribe.
func TestSubscriptionsReadyHonoursItsContext(t *testing.T) {
	t.Parallel()
	f := memory.NewFanout()
	cs := newCounting(t, f, make(chan string, 1))
	cs.gate = make(chan struct{}) // never opened: the join hangs
	s := newSubscriptions(cs, time.Second, slog.Default())
	t.Cleanup(func() { close(cs.gate); _ = s.close() })
	s.want("conv:x")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.ready(ctx, "conv:x"), context.DeadlineExceeded)
}
