package kafka_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/kafka"
	"github.com/scalechat/scalechat/core"
)

const wait = 30 * time.Second

func TestTwoConsumersSplitPartitionsAndReceiveEverythingOnce(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 6)
	log := newTopic(t, cfg)
	a, b := &recorder{}, &recorder{}
	consume(t, newConsumer(t, cfg), a.handle)
	consume(t, newConsumer(t, cfg), b.handle)
	waitStable(t, cfg, 2)

	var sent []core.SendCommand
	for c := range 24 {
		conv := uniqueName(fmt.Sprintf("conv%d", c))
		for i := range 10 {
			sent = append(sent, command(conv, i))
		}
	}
	for i := 0; i < len(sent); i += 16 {
		require.NoError(t, log.Append(t.Context(), sent[i:min(i+16, len(sent))]...))
	}
	waitAll(t, sent, a, b)

	byA, byB := a.commands(), b.commands()
	assert.NotEmpty(t, byA, "the first consumer got partitions")
	assert.NotEmpty(t, byB, "the second consumer got partitions")
	assert.Len(t, append(byA, byB...), len(sent), "without failures, every command is delivered exactly once")
	convsOfA := map[string]bool{}
	for _, c := range byA {
		convsOfA[c.ConversationID] = true
	}
	for _, c := range byB {
		assert.False(t, convsOfA[c.ConversationID], "conversation %s went to both consumers", c.ConversationID)
	}
	checkOrder(t, byA)
	checkOrder(t, byB)
}

func TestCommandsOfAConsumerKilledMidBatchGoToTheOtherConsumer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 4)
	log := newTopic(t, cfg)

	// The victim takes its first batch and never acknowledges it: it is killed (its ctx cancelled) meanwhile.
	var victimMu sync.Mutex
	var victimBatch []core.SendCommand
	gotBatch := make(chan struct{})
	victimCtx, kill := context.WithCancel(t.Context())
	victimDone := make(chan error, 1)
	go func() {
		victimDone <- newConsumer(t, cfg).Consume(victimCtx, func(ctx context.Context, batch []core.SendCommand) error {
			victimMu.Lock()
			first := victimBatch == nil
			if first {
				victimBatch = batch
			}
			victimMu.Unlock()
			if first {
				close(gotBatch)
			}
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	survivor := &recorder{}
	consume(t, newConsumer(t, cfg), survivor.handle)
	waitStable(t, cfg, 2)

	var sent []core.SendCommand
	for c := range 12 {
		conv := uniqueName(fmt.Sprintf("conv%d", c))
		for i := range 5 {
			sent = append(sent, command(conv, i))
		}
	}
	require.NoError(t, log.Append(t.Context(), sent...))
	select {
	case <-gotBatch:
	case <-time.After(wait):
		require.FailNow(t, "the victim got no batch")
	}
	kill()
	select {
	case err := <-victimDone:
		require.NoError(t, err, "a killed Consume returns nil")
	case <-time.After(wait):
		require.FailNow(t, "the victim's Consume did not return")
	}

	waitAll(t, sent, survivor)
	delivered := map[string]bool{}
	for _, c := range survivor.commands() {
		delivered[c.ID] = true
	}
	victimMu.Lock()
	defer victimMu.Unlock()
	require.NotEmpty(t, victimBatch)
	for _, c := range victimBatch {
		assert.True(t, delivered[c.ID], "command %s of the unacknowledged batch was redelivered", c.ID)
	}
	checkOrder(t, survivor.commands())
}

func TestUndecodableRecordsAreSkippedAndCommitted(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 1)
	log := newTopic(t, cfg)
	raw := rawWriter(t, cfg)
	conv := uniqueName("conv")
	require.NoError(t, log.Append(t.Context(), command(conv, 0)))
	require.NoError(t, raw.WriteMessages(t.Context(),
		kafkago.Message{Key: []byte(conv), Value: []byte("not json")},
		kafkago.Message{Key: []byte(conv), Value: []byte(`{"v":1}`)},
		kafkago.Message{Key: []byte(conv), Value: []byte(`{"body":"no version"}`)}))
	require.NoError(t, log.Append(t.Context(), command(conv, 1)))

	r := &recorder{}
	stop := consume(t, newConsumer(t, cfg), r.handle)
	waitAll(t, []core.SendCommand{command(conv, 0), command(conv, 1)}, r)
	stop()
	assert.Len(t, r.commands(), 2, "only the commands reach the handler")

	// Everything was committed: a new member of the group gets only what is appended later.
	require.NoError(t, log.Append(t.Context(), command(conv, 2)))
	again := &recorder{}
	consume(t, newConsumer(t, cfg), again.handle)
	waitAll(t, []core.SendCommand{command(conv, 2)}, again)
	assert.Equal(t, []core.SendCommand{command(conv, 2)}, again.commands())
}

func TestACommandOfANewerEncodingStopsTheConsumer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 1)
	log := newTopic(t, cfg)
	conv := uniqueName("conv")
	require.NoError(t, log.Append(t.Context(), command(conv, 0)))
	require.NoError(t, rawWriter(t, cfg).WriteMessages(t.Context(),
		kafkago.Message{Key: []byte(conv), Value: []byte(`{"v":99,"id":"future","conversationId":"` + conv + `"}`)}))
	require.NoError(t, log.Append(t.Context(), command(conv, 1)))

	for range 2 { // the command before it is handled once; the newer one is never skipped
		r := &recorder{}
		ctx, cancel := context.WithTimeout(t.Context(), wait)
		err := newConsumer(t, cfg).Consume(ctx, r.handle)
		cancel()
		require.Error(t, err, "Consume stops at the command it cannot read")
		assert.ErrorIs(t, err, core.ErrInternal)
		assert.NotContains(t, ids(r.commands()), command(conv, 1).ID, "nothing after it is delivered")
	}
}

// recorder is a handler that acknowledges every batch and keeps what it got.
type recorder struct {
	mu   sync.Mutex
	cmds []core.SendCommand
}

func (r *recorder) handle(_ context.Context, batch []core.SendCommand) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, batch...)
	return nil
}

func (r *recorder) commands() []core.SendCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.SendCommand(nil), r.cmds...)
}

// consume runs Consume in the background; stop (also run at cleanup) cancels it and checks it returns nil.
func consume(t *testing.T, c *kafka.Consumer, handle func(context.Context, []core.SendCommand) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Consume(ctx, handle) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(wait):
			assert.Fail(t, "Consume did not return after its ctx ended")
		}
	})
	t.Cleanup(stop)
	return stop
}

// waitAll waits until the recorders together got every command of want.
func waitAll(t *testing.T, want []core.SendCommand, rs ...*recorder) {
	t.Helper()
	missing := func() int {
		got := map[string]bool{}
		for _, r := range rs {
			for _, c := range r.commands() {
				got[c.ID] = true
			}
		}
		n := 0
		for _, c := range want {
			if !got[c.ID] {
				n++
			}
		}
		return n
	}
	if !assert.Eventually(t, func() bool { return missing() == 0 }, wait, 10*time.Millisecond) {
		require.FailNow(t, "commands not delivered", "%d of %d missing", missing(), len(want))
	}
}

// waitStable waits until the group is stable with n members that all own partitions.
func waitStable(t *testing.T, cfg kafka.Config, n int) {
	t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(brokers...), Timeout: 5 * time.Second}
	stable := func() bool {
		resp, err := client.DescribeGroups(t.Context(), &kafkago.DescribeGroupsRequest{GroupIDs: []string{cfg.GroupID}})
		if err != nil || len(resp.Groups) != 1 {
			return false
		}
		g := resp.Groups[0]
		if g.Error != nil || g.GroupState != "Stable" || len(g.Members) != n {
			return false
		}
		for _, m := range g.Members {
			owned := 0
			for _, topic := range m.MemberAssignments.Topics {
				owned += len(topic.Partitions)
			}
			if owned == 0 {
				return false
			}
		}
		return true
	}
	require.Eventually(t, stable, wait, 50*time.Millisecond, "group %s never stable with %d members", cfg.GroupID, n)
}

// checkOrder asserts that each conversation's first deliveries come in append order (see command).
func checkOrder(t *testing.T, cmds []core.SendCommand) {
	t.Helper()
	next := map[string]int{}
	seen := map[string]bool{}
	for _, c := range cmds {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		want := command(c.ConversationID, next[c.ConversationID])
		if !assert.Equal(t, want.ID, c.ID, "conversation %s out of order", c.ConversationID) {
			return
		}
		next[c.ConversationID]++
	}
}

func ids(cmds []core.SendCommand) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.ID
	}
	return out
}

// rawWriter writes arbitrary records to cfg's topic, like a foreign or broken producer.
func rawWriter(t *testing.T, cfg kafka.Config) *kafkago.Writer {
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Topic: cfg.Topic, Balancer: &kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: time.Millisecond,
		Transport: &kafkago.Transport{}} // not the shared default one, whose metadata predates the topic
	t.Cleanup(func() { _ = w.Close() })
	return w
}
