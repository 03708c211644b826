package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeIDs makes sortable ids from a counter.
type fakeIDs struct{ n atomic.Int64 }

func (f *fakeIDs) NewID() string { return fmt.Sprintf("id-%08d", f.n.Add(1)) }

// fakeHasher "hashes" by prefixing, so tests do not pay for argon2id.
type fakeHasher struct{}

func (fakeHasher) Hash(_ context.Context, p string) (string, error) { return "plain:" + p, nil }
func (fakeHasher) Verify(_ context.Context, h, p string) (bool, error) {
	if !strings.HasPrefix(h, "plain:") {
		return false, fmt.Errorf("malformed hash")
	}
	return h == "plain:"+p, nil
}

// env is a service wired to in-process adapters, with the sequencer consuming the log.
type env struct {
	t     *testing.T
	svc   *chat.Service
	seq   *chat.Sequencer
	store *memory.Store
	clock *fakeClock
	fan   *memory.Fanout
	blobs *fakeBlobs
	ids   *fakeIDs
}

func newEnv(t *testing.T, mutate ...func(*chat.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	store := memory.NewStore()
	log := memory.NewLog(memory.LogConfig{})
	fan := memory.NewFanout()
	cfg := chat.Config{Node: "test-node", AckTimeout: 5 * time.Second, SendRate: core.Rate{Limit: 1000, Per: time.Second}}
	for _, m := range mutate {
		m(&cfg)
	}
	blobs := &fakeBlobs{m: map[string][]byte{}}
	ids := &fakeIDs{}
	svc, err := chat.New(ctx, cfg, chat.Deps{Users: store, APIKeys: store, Moderation: store, Webhooks: store, Sessions: store, Conversations: store, Members: store, Contacts: store, Blocks: store,
		Attachments: store, Threads: store, Blobs: blobs, Summaries: store, History: store, Search: store, Ledger: store, Log: log, Fanout: fan,
		Limiter: memory.NewRateLimiter(clock), Presence: memory.NewPresence(clock), Hasher: fakeHasher{}, Clock: clock, IDs: ids})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	seq := chat.NewSequencer(store, fan, nil)
	done := make(chan struct{})
	go func() { defer close(done); _ = log.Consume(ctx, seq.Handle) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{t: t, svc: svc, seq: seq, store: store, clock: clock, fan: fan, blobs: blobs, ids: ids}
}

// user registers a user and returns its id.
func (e *env) user(name string) string {
	e.t.Helper()
	u, err := e.svc.Register(context.Background(), chat.RegisterInput{Username: name, Password: "password-" + name})
	require.NoError(e.t, err)
	return u.ID
}

// group creates a group owned by owner with members.
func (e *env) group(owner string, members ...string) string {
	e.t.Helper()
	s, created, err := e.svc.CreateConversation(context.Background(), owner,
		chat.CreateInput{Kind: core.KindGroup, Title: "group", MemberIDs: members})
	require.NoError(e.t, err)
	require.True(e.t, created)
	return s.ID
}

// send sends body and returns the stored message.
func (e *env) send(actor, conv, body string) core.Message {
	e.t.Helper()
	out, err := e.svc.Send(context.Background(), actor, chat.SendInput{ConversationID: conv, Body: body})
	require.NoError(e.t, err)
	return out.Message
}
