package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

func TestLogContract(t *testing.T) {
	porttest.TestCommandLog(t, func(t *testing.T) (ports.CommandLog, ports.CommandConsumer) {
		l := memory.NewLog(memory.LogConfig{MaxBatch: 7, RetryBackoff: 10 * time.Millisecond})
		return l, l
	})
}

func cmd(id string) core.SendCommand {
	return core.SendCommand{ID: id, ConversationID: "c", SenderID: "u", ClientMsgID: id, Body: id}
}

func TestLogFailsWhenFullIfConfigured(t *testing.T) {
	t.Parallel()
	l := memory.NewLog(memory.LogConfig{Capacity: 2, FailWhenFull: true})
	require.NoError(t, l.Append(t.Context(), cmd("1"), cmd("2")))
	err := l.Append(t.Context(), cmd("3"))
	assert.ErrorIs(t, err, core.ErrUnavailable)
	assert.Equal(t, 2, l.Len(), "a refused append adds nothing")
}

func TestLogAppendWaitsForRoom(t *testing.T) {
	t.Parallel()
	l := memory.NewLog(memory.LogConfig{Capacity: 2})
	require.NoError(t, l.Append(t.Context(), cmd("1"), cmd("2")))

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := l.Append(ctx, cmd("x"))
	require.ErrorIs(t, err, core.ErrUnavailable, "waiting ends with ctx")
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	appended := make(chan error, 1)
	go func() { appended <- l.Append(t.Context(), cmd("3")) }()
	select {
	case <-appended:
		t.Fatal("Append must wait while the log is full")
	case <-time.After(50 * time.Millisecond):
	}
	consumeCtx, stop := context.WithCancel(t.Context())
	defer stop()
	go func() {
		_ = l.Consume(consumeCtx, func(context.Context, []core.SendCommand) error { return nil })
	}()
	require.NoError(t, <-appended, "acknowledged commands make room")
	require.Eventually(t, func() bool { return l.Len() == 0 }, 5*time.Second, time.Millisecond)
	stop()
}

func TestLogOversizedAppendGoesThroughWhenEmpty(t *testing.T) {
	t.Parallel()
	l := memory.NewLog(memory.LogConfig{Capacity: 2, FailWhenFull: true})
	require.NoError(t, l.Append(t.Context(), cmd("1"), cmd("2"), cmd("3")))
	assert.Equal(t, 3, l.Len())
}

func TestLogBatchesAndRedeliversTheSameBatch(t *testing.T) {
	t.Parallel()
	l := memory.NewLog(memory.LogConfig{MaxBatch: 3, RetryBackoff: time.Millisecond})
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		require.NoError(t, l.Append(t.Context(), cmd(id)))
	}
	var batches [][]string
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- l.Consume(ctx, func(_ context.Context, batch []core.SendCommand) error {
			var ids []string
			for _, c := range batch {
				ids = append(ids, c.ID)
			}
			batches = append(batches, ids)
			if len(batches) <= 2 {
				return errors.New("fail")
			}
			if len(batches) == 4 {
				cancel()
			}
			return nil
		})
	}()
	require.NoError(t, <-done)
	assert.Equal(t, [][]string{{"1", "2", "3"}, {"1", "2", "3"}, {"1", "2", "3"}, {"4", "5"}}, batches)
	assert.Zero(t, l.Len())
}

func TestLogSecondConsumerWaitsForTheFirst(t *testing.T) {
	t.Parallel()
	l := memory.NewLog(memory.LogConfig{})
	require.NoError(t, l.Append(t.Context(), cmd("1")))
	first, stopFirst := context.WithCancel(t.Context())
	entered := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- l.Consume(first, func(ctx context.Context, _ []core.SendCommand) error {
			close(entered)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-entered

	second, stopSecond := context.WithCancel(t.Context())
	got := make(chan string, 1)
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- l.Consume(second, func(_ context.Context, batch []core.SendCommand) error {
			got <- batch[0].ID
			stopSecond()
			return nil
		})
	}()
	select {
	case <-got:
		t.Fatal("the second consumer must wait while the first runs")
	case <-time.After(50 * time.Millisecond):
	}
	stopFirst()
	require.NoError(t, <-firstDone)
	assert.Equal(t, "1", <-got, "the unacknowledged command goes to the next consumer")
	require.NoError(t, <-secondDone)
}
