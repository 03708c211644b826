package faults_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/blobfs"
	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// The cluster tests hit some interleavings only by chance (a worker SIGKILLed right between its commit and its
// replies, a retry racing its first attempt through the log). The tests below stage them deterministically on
// the distributed send path in one process: a gateway's chat.Service (AcceptOnTimeout, as in the distributed
// roles) and the workers' chat.Sequencer, on the in-memory store, log and fan-out, with the log's consumer under
// the test's control.

// pipeline is one gateway's service, the store and the log.
type pipeline struct {
	svc   *chat.Service
	store *memory.Store
	log   *memory.Log
	fan   *memory.Fanout
	alice string
	conv  string
}

func newPipeline(t *testing.T, ackTimeout time.Duration) *pipeline {
	blobs, err := blobfs.Open(t.TempDir())
	require.NoError(t, err)
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := &pipeline{store: memory.NewStore(), log: memory.NewLog(memory.LogConfig{RetryBackoff: 10 * time.Millisecond}),
		fan: memory.NewFanout()}
	p.svc, err = chat.New(ctx, chat.Config{Node: "gateway-1", AckTimeout: ackTimeout, AcceptOnTimeout: true,
		SendRate: core.Rate{Limit: 1000, Per: time.Second}}, chat.Deps{Users: p.store, APIKeys: p.store, Moderation: p.store, Webhooks: p.store, Sessions: p.store, Contacts: p.store, Blocks: p.store, Attachments: p.store, Threads: p.store, Blobs: blobs,
		Conversations: p.store, Members: p.store, Summaries: p.store, History: p.store, Search: p.store, Ledger: p.store, Log: p.log,
		Fanout: p.fan, Limiter: memory.NewRateLimiter(memory.SystemClock{}),
		Presence: memory.NewPresence(memory.SystemClock{}), Hasher: plainHasher{}, Clock: memory.SystemClock{},
		IDs: memory.UUIDv7{}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.svc.Close() })
	alice, err := p.svc.Register(ctx, chat.RegisterInput{Username: "alice", Password: "alice-password"})
	require.NoError(t, err)
	bob, err := p.svc.Register(ctx, chat.RegisterInput{Username: "bob", Password: "bob-password"})
	require.NoError(t, err)
	conv, _, err := p.svc.CreateConversation(ctx, alice.ID, chat.CreateInput{Kind: core.KindGroup, Title: "g",
		MemberIDs: []string{bob.ID}})
	require.NoError(t, err)
	p.alice, p.conv = alice.ID, conv.ID
	return p
}

// consume runs the workers: handle gets every batch (redelivered while it fails) until the test ends.
func (p *pipeline) consume(t *testing.T, handle func(context.Context, []core.SendCommand) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.log.Consume(ctx, handle) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A worker commits a batch and is killed before it replies or commits its offsets; the batch goes to the other
// worker, whose sequencer finds the message stored (dedupe) and replies. The sender sent once: its send was
// created (REST 201), not found as a retry (200), and the message is the one its command carried.
//
// Before the fix this answered Duplicate (REST 200 "a retry", and the send missing from the sent-messages
// metric): Pending.Wait took the sequencer's "nothing new was written" for "the clientMsgId was seen before",
// while its storage fallback already told them apart by message id.
func TestRedeliveredSendIsNotARetry(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 30*time.Second)
	ctx := context.Background()
	pending, err := p.svc.Submit(ctx, p.alice, chat.SendInput{ConversationID: p.conv, ClientMsgID: "c-1", Body: "once"})
	require.NoError(t, err)

	killed := chat.NewSequencer(p.store, silentFanout{}, nil) // commits; dies before anything it publishes leaves
	survivor := chat.NewSequencer(p.store, p.fan, nil)
	var calls atomic.Int64
	p.consume(t, func(ctx context.Context, batch []core.SendCommand) error {
		if calls.Add(1) == 1 {
			assert.NoError(t, killed.Handle(ctx, batch))
			return errors.New("worker killed before committing its offsets")
		}
		return survivor.Handle(ctx, batch)
	})

	sent, err := pending.Wait(ctx)
	require.NoError(t, err)
	require.False(t, sent.Accepted)
	assert.Equal(t, int64(2), calls.Load(), "the batch was delivered twice")
	stored, err := p.store.MessageByClientMsgID(ctx, p.conv, p.alice, "c-1")
	require.NoError(t, err)
	assert.Equal(t, stored, sent.Message)
	assert.False(t, sent.Duplicate, "a send whose own command was redelivered is no retry (REST would answer 200)")
}

// A client's first attempt reaches the log through a gateway that dies before answering; the client retries
// with the same clientMsgId before any worker sequenced the first attempt, and the retry's wait times out:
// accepted (REST 202), "seq pending: only seq is not filled in yet". The first attempt's command is sequenced
// and the retry's deduped, so the message stored carries the first command's id — not the id the 202 named.
//
// Message ids are derived from (conversation, sender, clientMsgId) (core.MessageID), so the 202 names the
// stored message whichever attempt won.
func TestAcceptedRetryNamesTheStoredMessage(t *testing.T) {
	t.Parallel()
	p := newPipeline(t, 200*time.Millisecond)
	ctx := context.Background()
	in := chat.SendInput{ConversationID: p.conv, ClientMsgID: "c-1", Body: "once"}
	_, err := p.svc.Submit(ctx, p.alice, in) // the first attempt: in the log; its answer is lost with its gateway
	require.NoError(t, err)
	retry, err := p.svc.Submit(ctx, p.alice, in)
	require.NoError(t, err)
	sent, err := retry.Wait(ctx) // no worker runs yet: the ack timeout passes
	require.NoError(t, err)
	require.True(t, sent.Accepted)

	p.consume(t, chat.NewSequencer(p.store, p.fan, nil).Handle)
	var stored core.Message
	require.Eventually(t, func() bool {
		stored, err = p.store.MessageByClientMsgID(ctx, p.conv, p.alice, "c-1")
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, sent.Message.ID, stored.ID, "the accepted ack named the message that was stored")
}

// silentFanout loses everything published to it: a worker that dies right after its commit.
type silentFanout struct{}

func (silentFanout) Publish(context.Context, string, ...core.Envelope) error       { return nil }
func (silentFanout) PublishMany(context.Context, []string, ...core.Envelope) error { return nil }
func (silentFanout) PublishAll(context.Context, ...ports.Publication) error        { return nil }
func (silentFanout) Subscribe(context.Context, func(string, core.Envelope)) (ports.Subscription, error) {
	return nil, errors.New("silentFanout: no subscriptions")
}

// plainHasher "hashes" by prefixing, so these tests do not pay for argon2id.
type plainHasher struct{}

func (plainHasher) Hash(_ context.Context, p string) (string, error) { return "plain:" + p, nil }
func (plainHasher) Verify(_ context.Context, h, p string) (bool, error) {
	if !strings.HasPrefix(h, "plain:") {
		return false, errors.New("malformed hash")
	}
	return h == "plain:"+p, nil
}
