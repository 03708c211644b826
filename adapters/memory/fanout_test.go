package memory_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestFanoutContract(t *testing.T) {
	porttest.TestFanout(t, func(t *testing.T) ports.Fanout { return memory.NewFanout() })
}

func TestFanoutSlowHandlerNeitherBlocksPublishersNorGrowsWithoutBound(t *testing.T) {
	t.Parallel()
	f := memory.NewFanout()
	release := make(chan struct{})
	var calls atomic.Int32
	sub, err := f.Subscribe(t.Context(), func(string, core.Envelope) {
		calls.Add(1)
		<-release
	})
	require.NoError(t, err)
	require.NoError(t, sub.Join(t.Context(), "t"))
	require.NoError(t, f.Publish(t.Context(), "t", core.Envelope{}))
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5*time.Second, time.Millisecond) // handler stuck

	published := make(chan struct{})
	go func() {
		defer close(published)
		for range memory.DefaultFanoutQueue + 50 {
			assert.NoError(t, f.Publish(t.Context(), "t", core.Envelope{}))
		}
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish waited for a stuck handler")
	}
	assert.EqualValues(t, 50, f.Dropped(), "what does not fit the queue is dropped and counted")
	close(release)
	require.NoError(t, sub.Close())
}

func TestFanoutSubscriptionClosedTwiceAndJoinAfterClose(t *testing.T) {
	t.Parallel()
	f := memory.NewFanout()
	sub, err := f.Subscribe(t.Context(), func(string, core.Envelope) {})
	require.NoError(t, err)
	require.NoError(t, sub.Join(t.Context(), "t"))
	require.NoError(t, sub.Close())
	require.NoError(t, sub.Close())
	assert.ErrorIs(t, sub.Join(t.Context(), "t"), core.ErrUnavailable)
	assert.NoError(t, f.Publish(t.Context(), "t", core.Envelope{}))
}
