package porttest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// logWait bounds every wait of the log suite; generous because a Kafka consumer group takes seconds to join.
const logWait = 20 * time.Second

// TestCommandLog runs the ports.CommandLog and ports.CommandConsumer contracts against the pair newLog returns.
// Every call of newLog must return a fresh, empty log (for Kafka: a new topic and consumer group) whose
// consumer reads the commands appended to that log, including those appended before Consume starts.
func TestCommandLog(t *testing.T, newLog func(t *testing.T) (ports.CommandLog, ports.CommandConsumer)) {
	t.Run("DeliversEveryCommand", func(t *testing.T) {
		t.Parallel()
		log, consumer := newLog(t)
		conv := uniqueName("conv")
		var sent []core.SendCommand
		for i := range 40 {
			sent = append(sent, logCommand(conv, "a", i))
		}
		require.NoError(t, log.Append(t.Context(), sent[:20]...), "appended before Consume starts")
		r := &logRecorder{}
		logConsume(t, consumer, r.handle)
		for _, c := range sent[20:] {
			require.NoError(t, log.Append(t.Context(), c))
		}
		r.waitFor(t, sent)
		want := map[string]core.SendCommand{}
		for _, c := range sent {
			want[c.ID] = logNorm(c)
		}
		for _, c := range r.ackedCommands() {
			assert.Equal(t, want[c.ID], logNorm(c), "delivered command must equal the appended one")
		}
		logCheckOrder(t, r.ackedCommands(), logPositions(sent, func(core.SendCommand) string { return conv }))
	})

	t.Run("KeepsOrderPerConversationWithConcurrentAppenders", func(t *testing.T) {
		t.Parallel()
		log, consumer := newLog(t)
		r := &logRecorder{}
		logConsume(t, consumer, r.handle)
		const appenders, convs, perConv = 4, 10, 25
		convIDs := make([]string, convs)
		for i := range convIDs {
			convIDs[i] = uniqueName(fmt.Sprintf("conv%d", i))
		}
		var all []core.SendCommand
		streams := make([][]core.SendCommand, appenders)
		for a := range appenders {
			streams[a] = logInterleaved(convIDs, fmt.Sprintf("app%d", a), perConv)
			all = append(all, streams[a]...)
		}
		var wg sync.WaitGroup
		for _, stream := range streams {
			wg.Go(func() {
				// Calls of 1 to 5 commands, mixing conversations; each call returns before the next starts.
				for rest := stream; len(rest) > 0; {
					n := min(len(rest), 1+mrand.IntN(5))
					assert.NoError(t, log.Append(t.Context(), rest[:n]...))
					rest = rest[n:]
				}
			})
		}
		wg.Wait()
		r.waitFor(t, all)
		logCheckOrder(t, r.ackedCommands(), logPositions(all, func(c core.SendCommand) string {
			return c.ConversationID + "/" + c.SenderID
		}))
	})

	t.Run("RedeliversAFailedBatch", func(t *testing.T) {
		t.Parallel()
		logRedelivery(t, newLog, 1)
	})

	t.Run("RedeliversAfterRepeatedFailures", func(t *testing.T) {
		t.Parallel()
		logRedelivery(t, newLog, 3)
	})

	t.Run("RedeliversUnacknowledgedCommandsToTheNextConsume", func(t *testing.T) {
		t.Parallel()
		log, consumer := newLog(t)
		conv := uniqueName("conv")
		sent := []core.SendCommand{logCommand(conv, "a", 0), logCommand(conv, "a", 1), logCommand(conv, "a", 2)}
		require.NoError(t, log.Append(t.Context(), sent...))

		// The first consumer never acknowledges: its handler holds the batch until Consume is cancelled.
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan struct{}, 1)
		done := make(chan error, 1)
		go func() {
			done <- consumer.Consume(ctx, func(hctx context.Context, batch []core.SendCommand) error {
				select {
				case got <- struct{}{}:
				default:
				}
				select {
				case <-hctx.Done():
				case <-ctx.Done():
				}
				return errors.New("porttest: interrupted")
			})
		}()
		logReceive(t, got, "first consumer got no batch")
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err, "Consume must return nil once ctx ends")
		case <-time.After(logWait):
			require.FailNow(t, "Consume did not return after ctx was cancelled")
		}

		r := &logRecorder{}
		logConsume(t, consumer, r.handle)
		r.waitFor(t, sent)
		logCheckOrder(t, r.ackedCommands(), logPositions(sent, func(core.SendCommand) string { return conv }))
	})

	t.Run("ConsumeReturnsNilWhenIdleAndCancelled", func(t *testing.T) {
		t.Parallel()
		_, consumer := newLog(t)
		r := &logRecorder{}
		stop := logConsume(t, consumer, r.handle)
		time.Sleep(50 * time.Millisecond) // let it start waiting
		stop()
		assert.Zero(t, r.callCount(), "an empty log delivers nothing")
	})

	t.Run("ConsumeReturnsNilWhenCancelledWhileRetrying", func(t *testing.T) {
		t.Parallel()
		log, consumer := newLog(t)
		require.NoError(t, log.Append(t.Context(), logCommand(uniqueName("conv"), "a", 0)))
		failed := make(chan struct{}, 1)
		stop := logConsume(t, consumer, func(context.Context, []core.SendCommand) error {
			select {
			case failed <- struct{}{}:
			default:
			}
			return errors.New("porttest: always failing")
		})
		logReceive(t, failed, "handler never called")
		stop()
	})
}

// logRedelivery checks that batches whose handler fails are delivered again until acknowledged, in order.
func logRedelivery(t *testing.T, newLog func(t *testing.T) (ports.CommandLog, ports.CommandConsumer), failures int) {
	log, consumer := newLog(t)
	conv := uniqueName("conv")
	var sent []core.SendCommand
	for i := range 10 {
		sent = append(sent, logCommand(conv, "a", i))
	}
	require.NoError(t, log.Append(t.Context(), sent...))
	r := &logRecorder{fail: func(call int) error {
		if call <= failures {
			return fmt.Errorf("porttest: failure %d", call)
		}
		return nil
	}}
	logConsume(t, consumer, r.handle)
	r.waitFor(t, sent)

	failed := r.failedCommands()
	require.NotEmpty(t, failed, "the handler failed, so it must have been called")
	acked := map[string]bool{}
	for _, c := range r.ackedCommands() {
		acked[c.ID] = true
	}
	for _, c := range failed {
		assert.True(t, acked[c.ID], "command %s of a failed batch must be delivered again", c.ID)
	}
	logCheckOrder(t, r.ackedCommands(), logPositions(sent, func(core.SendCommand) string { return conv }))
}

// logRecorder is a handler that records what it acknowledged and what it failed.
type logRecorder struct {
	fail func(call int) error // called before each batch; a non-nil error fails the batch

	mu     sync.Mutex
	calls  int
	acked  []core.SendCommand
	failed []core.SendCommand
}

func (r *logRecorder) handle(_ context.Context, batch []core.SendCommand) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if len(batch) == 0 {
		return errors.New("porttest: handle called with an empty batch")
	}
	if r.fail != nil {
		if err := r.fail(r.calls); err != nil {
			r.failed = append(r.failed, batch...)
			return err
		}
	}
	r.acked = append(r.acked, batch...)
	return nil
}

func (r *logRecorder) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *logRecorder) ackedCommands() []core.SendCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.SendCommand(nil), r.acked...)
}

func (r *logRecorder) failedCommands() []core.SendCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.SendCommand(nil), r.failed...)
}

// waitFor waits until every command of want has been acknowledged at least once.
func (r *logRecorder) waitFor(t *testing.T, want []core.SendCommand) {
	t.Helper()
	missing := func() int {
		got := map[string]bool{}
		for _, c := range r.ackedCommands() {
			got[c.ID] = true
		}
		n := 0
		for _, c := range want {
			if !got[c.ID] {
				n++
			}
		}
		return n
	}
	if !assert.Eventually(t, func() bool { return missing() == 0 }, logWait, 10*time.Millisecond) {
		require.FailNow(t, "commands not delivered", "%d of %d commands never acknowledged", missing(), len(want))
	}
}

// logConsume runs Consume in the background; stop (also run at cleanup) cancels it and checks it returns nil.
func logConsume(t *testing.T, c ports.CommandConsumer, handle func(context.Context, []core.SendCommand) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Consume(ctx, handle) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err, "Consume must return nil once ctx ends")
			case <-time.After(logWait):
				assert.Fail(t, "Consume did not return after ctx was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func logReceive(t *testing.T, ch <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(logWait):
		require.FailNow(t, msg)
	}
}

// logPos is a command's place in its stream: the commands one appender appended to one conversation.
type logPos struct {
	stream string
	index  int
}

func logPositions(cmds []core.SendCommand, stream func(core.SendCommand) string) map[string]logPos {
	next := map[string]int{}
	pos := map[string]logPos{}
	for _, c := range cmds {
		s := stream(c)
		pos[c.ID] = logPos{stream: s, index: next[s]}
		next[s]++
	}
	return pos
}

// logCheckOrder asserts that, per stream, first deliveries come in append order with no gaps. Redelivered
// duplicates (allowed by at-least-once) are skipped.
func logCheckOrder(t *testing.T, delivered []core.SendCommand, pos map[string]logPos) {
	t.Helper()
	next := map[string]int{}
	seen := map[string]bool{}
	for _, c := range delivered {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		p, ok := pos[c.ID]
		if !assert.True(t, ok, "command %s was never appended", c.ID) {
			return
		}
		if !assert.Equal(t, next[p.stream], p.index, "stream %s: command %s delivered out of order", p.stream, c.ID) {
			return
		}
		next[p.stream]++
	}
}

// logInterleaved returns an appender's commands for several conversations, interleaved at random but in
// order within each conversation.
func logInterleaved(convIDs []string, appender string, perConv int) []core.SendCommand {
	next := make([]int, len(convIDs))
	var out []core.SendCommand
	for len(out) < len(convIDs)*perConv {
		i := mrand.IntN(len(convIDs))
		if next[i] == perConv {
			continue
		}
		out = append(out, logCommand(convIDs[i], appender, next[i]))
		next[i]++
	}
	return out
}

var logBase = time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.FixedZone("CEST", 2*60*60))

func logCommand(conv, appender string, i int) core.SendCommand {
	id := fmt.Sprintf("%s-%s-%d", conv, appender, i)
	c := core.SendCommand{
		ID:             "cmd-" + id,
		Origin:         "node-" + appender,
		ConversationID: conv,
		SenderID:       appender,
		MessageID:      "msg-" + id,
		ClientMsgID:    fmt.Sprintf("client-%d", i),
		Body:           fmt.Sprintf("hello %d from %s ✓", i, appender),
		At:             logBase.Add(time.Duration(i) * time.Millisecond),
	}
	if i%3 == 1 {
		c.ReplyTo = "msg-" + fmt.Sprintf("%s-%s-%d", conv, appender, i-1)
	}
	return c
}

// logNorm makes a command comparable after a round trip through a serialising log.
func logNorm(c core.SendCommand) core.SendCommand {
	c.At = c.At.UTC()
	return c
}

// uniqueName returns prefix plus a random suffix, so suites may share one server (Kafka, Redis).
func uniqueName(prefix string) string { return prefix + "-" + rand.Text()[:12] }
