package chat_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// recorder collects what fan-out delivers for some topics.
type recorder struct {
	mu   sync.Mutex
	envs map[string][]core.Envelope
}

func (e *env) record(topics ...string) *recorder {
	e.t.Helper()
	r := &recorder{envs: map[string][]core.Envelope{}}
	sub, err := e.fan.Subscribe(context.Background(), func(topic string, env core.Envelope) {
		r.mu.Lock()
		r.envs[topic] = append(r.envs[topic], env)
		r.mu.Unlock()
	})
	require.NoError(e.t, err)
	require.NoError(e.t, sub.Join(context.Background(), topics...))
	e.t.Cleanup(func() { _ = sub.Close() })
	return r
}

// wait returns the envelopes of topic once there are n of them.
func (r *recorder) wait(t *testing.T, topic string, n int) []core.Envelope {
	t.Helper()
	var got []core.Envelope
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = append([]core.Envelope(nil), r.envs[topic]...)
		return len(got) >= n
	}, 2*time.Second, 5*time.Millisecond, "waiting for %d envelopes on %s", n, topic)
	return got
}

func TestSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, eve := e.user("alice"), e.user("bob"), e.user("eve")
	g1, g2 := e.group(alice, bob), e.group(alice, bob)
	private := e.group(eve)
	for i := 0; i < 5; i++ {
		e.send(alice, g1, "g1")
	}
	m := e.send(alice, g2, "g2")
	_, err := e.svc.Edit(ctx, alice, g2, m.ID, "g2 edited")
	require.NoError(t, err)
	_, err = e.svc.Delete(ctx, alice, g2, m.ID)
	require.NoError(t, err)

	res, err := e.svc.Sync(ctx, bob, map[string]int64{g1: 2, g2: 0, private: 0, "nope": 0}, 0)
	require.NoError(t, err)
	assert.Empty(t, res.Truncated)
	require.Len(t, res.Events, 6, "g1 3..5 and g2 1..3; nothing from conversations bob is not in")
	perConv := map[string][]int64{}
	for _, ev := range res.Events {
		perConv[ev.ConversationID] = append(perConv[ev.ConversationID], ev.Seq)
	}
	assert.Equal(t, []int64{3, 4, 5}, perConv[g1])
	assert.Equal(t, []int64{1, 2, 3}, perConv[g2], "edits and deletes included")

	res, err = e.svc.Sync(ctx, bob, map[string]int64{g1: 0, g2: 0}, 4)
	require.NoError(t, err)
	assert.Len(t, res.Events, 4)
	assert.NotEmpty(t, res.Truncated, "the limit cut the sync short")

	_, err = e.svc.Sync(ctx, bob, map[string]int64{g1: -1}, 0)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = e.svc.Sync(ctx, bob, map[string]int64{g1: 0}, -5)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
}

func TestTypingIsThrottledAndMembersOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, eve := e.user("alice"), e.user("bob"), e.user("eve")
	g := e.group(alice, bob)
	rec := e.record(core.ConversationTopic(g))

	require.NoError(t, e.svc.Typing(ctx, alice, g, true))
	require.NoError(t, e.svc.Typing(ctx, alice, g, true), "a throttled notice is dropped, not an error")
	require.NoError(t, e.svc.Typing(ctx, alice, g, false), "stopping is never throttled")
	assert.ErrorIs(t, e.svc.Typing(ctx, eve, g, true), core.ErrNotFound)

	envs := rec.wait(t, core.ConversationTopic(g), 2)
	time.Sleep(50 * time.Millisecond)
	envs = rec.wait(t, core.ConversationTopic(g), len(envs))
	require.Len(t, envs, 2)
	assert.True(t, envs[0].Typing.Typing)
	assert.False(t, envs[1].Typing.Typing)
	assert.Equal(t, alice, envs[1].Typing.UserID)
}

func TestPresenceReachesContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol, stranger := e.user("alice"), e.user("bob"), e.user("carol"), e.user("stranger")
	e.group(alice, bob)
	_, _, err := e.svc.CreateConversation(ctx, carol, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{alice}})
	require.NoError(t, err)
	ch, _, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindChannel, Title: "Public"})
	require.NoError(t, err)
	_, err = e.svc.Join(ctx, stranger, ch.ID)
	require.NoError(t, err)
	rec := e.record(core.UserTopic(bob), core.UserTopic(carol), core.UserTopic(stranger))

	require.NoError(t, e.svc.Connected(ctx, alice, "n/1"))
	require.NoError(t, e.svc.Connected(ctx, alice, "n/2"), "a second connection announces nothing")
	for _, topic := range []string{core.UserTopic(bob), core.UserTopic(carol)} {
		envs := rec.wait(t, topic, 1)
		require.NotNil(t, envs[0].Presence)
		assert.True(t, envs[0].Presence.Online)
		assert.Equal(t, alice, envs[0].Presence.UserID)
	}
	ps, err := e.svc.Presence(ctx, bob, []string{alice, bob})
	require.NoError(t, err)
	assert.True(t, ps[0].Online)
	assert.False(t, ps[1].Online)

	require.NoError(t, e.svc.Disconnected(ctx, alice, "n/1"))
	require.NoError(t, e.svc.Disconnected(ctx, alice, "n/2"))
	envs := rec.wait(t, core.UserTopic(bob), 2)
	assert.False(t, envs[1].Presence.Online)
	time.Sleep(50 * time.Millisecond)
	rec.mu.Lock()
	assert.Empty(t, rec.envs[core.UserTopic(stranger)], "presence does not travel through channels")
	assert.Len(t, rec.envs[core.UserTopic(bob)], 2, "one online, one offline")
	rec.mu.Unlock()

	_, err = e.svc.Presence(ctx, bob, nil)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
}
