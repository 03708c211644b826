package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

const fanWait = 10 * time.Second

func TestFanoutContract(t *testing.T) {
	porttest.TestFanout(t, func(t *testing.T) ports.Fanout { return redis.NewFanout(openFresh(t)) })
}

// marks records the Seq of the read receipts a subscription receives, per topic.
type marks struct {
	mu  sync.Mutex
	got map[string][]int64
}

func newMarks() *marks { return &marks{got: map[string][]int64{}} }

func (m *marks) handle(topic string, env core.Envelope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if env.Read != nil {
		m.got[topic] = append(m.got[topic], env.Read.Seq)
	}
}

func (m *marks) of(topic string) []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int64(nil), m.got[topic]...)
}

func mark(n int64) core.Envelope {
	return core.Envelope{Read: &core.ReadReceipt{ConversationID: "c", UserID: "u", Seq: n}}
}

func subscribe(t *testing.T, f ports.Fanout, handler func(string, core.Envelope), topics ...string) ports.Subscription {
	t.Helper()
	sub, err := f.Subscribe(t.Context(), handler)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, sub.Close()) })
	require.NoError(t, sub.Join(t.Context(), topics...))
	return sub
}

func TestFanoutAcrossNodes(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := redis.NewFanout(openTest(t, redis.Config{KeyPrefix: prefix}))
	b := redis.NewFanout(openTest(t, redis.Config{KeyPrefix: prefix}))
	onA, onB := newMarks(), newMarks()
	subscribe(t, a, onA.handle, "conv:x")
	subscribe(t, b, onB.handle, "conv:x")

	require.NoError(t, b.Publish(t.Context(), "conv:x", mark(1), mark(2)))
	require.NoError(t, a.Publish(t.Context(), "conv:x", mark(3)))
	for name, m := range map[string]*marks{"a": onA, "b": onB} {
		require.Eventually(t, func() bool { return len(m.of("conv:x")) == 3 }, fanWait, 5*time.Millisecond, name)
		assert.ElementsMatch(t, []int64{1, 2, 3}, m.of("conv:x"), "node %s gets what every node publishes", name)
	}

	other := redis.NewFanout(openFresh(t)) // another deployment on the same server
	require.NoError(t, other.Publish(t.Context(), "conv:x", mark(4)))
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, onA.of("conv:x"), 3, "the key prefix separates deployments")
}

func TestFanoutSlowHandlerDropsWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	const queue = 10
	f := redis.NewFanout(openTest(t, redis.Config{KeyPrefix: testPrefix(), FanoutQueue: queue}))
	release := make(chan struct{})
	var calls atomic.Int32
	sub := subscribe(t, f, func(string, core.Envelope) {
		calls.Add(1)
		<-release
	}, "t")
	require.NoError(t, f.Publish(t.Context(), "t", mark(0)))
	require.Eventually(t, func() bool { return calls.Load() == 1 }, fanWait, time.Millisecond) // handler stuck

	for i := range queue + 5 {
		require.NoError(t, f.Publish(t.Context(), "t", mark(int64(i+1))))
	}
	require.Eventually(t, func() bool { return f.Dropped() == 5 }, fanWait, time.Millisecond,
		"what does not fit the queue is dropped and counted")
	close(release)
	require.Eventually(t, func() bool { return calls.Load() == 1+queue }, fanWait, time.Millisecond)
	require.NoError(t, sub.Close())
}

func TestFanoutUndecodableMessageIsDropped(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	f := redis.NewFanout(openTest(t, redis.Config{KeyPrefix: prefix}))
	got := newMarks()
	subscribe(t, f, got.handle, "t")
	require.NoError(t, rawClient(t, testURL()).Publish(t.Context(), prefix+"t", "not json").Err())
	require.NoError(t, f.Publish(t.Context(), "t", mark(1)))
	require.Eventually(t, func() bool { return len(got.of("t")) == 1 }, fanWait, time.Millisecond)
	assert.EqualValues(t, 1, f.Dropped())
}

func TestFanoutCloseTwiceAndJoinAfterClose(t *testing.T) {
	t.Parallel()
	f := redis.NewFanout(openFresh(t))
	sub, err := f.Subscribe(t.Context(), func(string, core.Envelope) {})
	require.NoError(t, err)
	require.NoError(t, sub.Join(t.Context(), "t"))
	require.NoError(t, sub.Close())
	require.NoError(t, sub.Close())
	assert.ErrorIs(t, sub.Join(t.Context(), "t"), core.ErrUnavailable)
	assert.NoError(t, sub.Leave(t.Context(), "t"))
	assert.NoError(t, f.Publish(t.Context(), "t", mark(1)))
}

func TestFanoutJoinHonoursContext(t *testing.T) {
	t.Parallel()
	f := redis.NewFanout(openFresh(t))
	sub, err := f.Subscribe(t.Context(), func(string, core.Envelope) {})
	require.NoError(t, err)
	defer sub.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, sub.Join(ctx, "t"), core.ErrUnavailable)
	assert.ErrorIs(t, f.Publish(ctx, "t", mark(1)), core.ErrUnavailable)
}
