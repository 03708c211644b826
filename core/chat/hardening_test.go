package chat_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// limited asserts err is rate_limited with a retry hint within per.
func limited(t *testing.T, err error, per time.Duration) {
	t.Helper()
	var ce *core.Error
	require.True(t, errors.As(err, &ce), "want rate_limited, got %v", err)
	require.Equal(t, core.CodeRateLimited, ce.Code, "%v", err)
	assert.Positive(t, ce.RetryAfter)
	assert.LessOrEqual(t, ce.RetryAfter, per)
}

func TestEveryWriteIsRateLimited(t *testing.T) {
	t.Parallel()
	tight := core.Rate{Limit: 2, Per: time.Minute}
	e := newEnv(t, func(c *chat.Config) {
		c.Limits = chat.Limits{chat.LimitSend: {Limit: 1000, Per: time.Second}, chat.LimitEdit: tight,
			chat.LimitConversation: {Limit: 3, Per: time.Minute}, chat.LimitMembers: tight, chat.LimitRead: tight,
			chat.LimitTyping: tight, chat.LimitBlock: tight, chat.LimitReaction: tight, chat.LimitPin: tight}
	})
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, bob) // conversation 1 of 3
	m := e.send(alice, g, "hello")

	_, err := e.svc.Edit(ctx, alice, g, m.ID, "one")
	require.NoError(t, err)
	_, err = e.svc.Edit(ctx, alice, g, m.ID, "two")
	require.NoError(t, err)
	_, err = e.svc.Edit(ctx, alice, g, m.ID, "three")
	limited(t, err, time.Minute)
	_, err = e.svc.Delete(ctx, alice, g, m.ID)
	limited(t, err, time.Minute)
	got, _, err := e.svc.History(ctx, bob, g, core.HistoryQuery{})
	require.NoError(t, err)
	assert.Equal(t, "two", got[0].Body, "a refused edit changes nothing")

	title := "renamed"
	_, err = e.svc.UpdateConversation(ctx, alice, g, chat.UpdateInput{Title: &title}) // 2 of 3
	require.NoError(t, err)
	e.group(alice, carol) // 3 of 3
	_, _, err = e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindGroup, Title: "x", MemberIDs: []string{bob}})
	limited(t, err, time.Minute)

	_, err = e.svc.AddMembers(ctx, alice, g, []string{carol})
	require.NoError(t, err)
	require.NoError(t, e.svc.RemoveMember(ctx, alice, g, carol))
	_, err = e.svc.AddMembers(ctx, alice, g, []string{carol})
	limited(t, err, time.Minute)

	for range 2 {
		_, err = e.svc.MarkRead(ctx, bob, g, 1)
		require.NoError(t, err)
	}
	_, err = e.svc.MarkRead(ctx, bob, g, 1)
	limited(t, err, time.Minute)

	require.NoError(t, e.svc.Typing(ctx, bob, g, true))
	require.NoError(t, e.svc.Typing(ctx, bob, g, false))
	limited(t, e.svc.Typing(ctx, bob, g, false), time.Minute) // stopping counts too

	require.NoError(t, e.svc.Block(ctx, carol, alice))
	require.NoError(t, e.svc.Unblock(ctx, carol, alice))
	limited(t, e.svc.Block(ctx, carol, alice), time.Minute)

	_, err = e.svc.React(ctx, bob, g, m.ID, "👍")
	require.NoError(t, err)
	_, err = e.svc.Unreact(ctx, bob, g, m.ID, "👍")
	require.NoError(t, err)
	_, err = e.svc.React(ctx, bob, g, m.ID, "👍")
	limited(t, err, time.Minute)

	_, err = e.svc.Pin(ctx, alice, g, m.ID)
	require.NoError(t, err)
	_, err = e.svc.Unpin(ctx, alice, g, m.ID)
	require.NoError(t, err)
	_, err = e.svc.Pin(ctx, alice, g, m.ID)
	limited(t, err, time.Minute)
	got, _, err = e.svc.History(ctx, bob, g, core.HistoryQuery{})
	require.NoError(t, err)
	assert.Nil(t, got[0].PinnedAt, "a refused pin changes nothing")
	assert.Empty(t, got[0].Reactions, "a refused reaction changes nothing")

	e.clock.Advance(time.Minute)
	_, err = e.svc.Edit(ctx, alice, g, m.ID, "three")
	require.NoError(t, err, "the allowance refills")
}

func TestLogInAttemptsAreLimitedPerUsernameAndAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) {
		c.Limits = chat.Limits{chat.LimitLoginUser: {Limit: 5, Per: 15 * time.Minute},
			chat.LimitLoginIP: {Limit: 8, Per: time.Minute}, chat.LimitRegisterIP: {Limit: 3, Per: time.Hour}}
	})
	e.user("alice") // no client address: not limited per address
	ctx := chat.WithClient(context.Background(), "203.0.113.9")
	for range 5 {
		_, err := e.svc.LogIn(ctx, "alice", "wrong password")
		require.ErrorIs(t, err, core.ErrUnauthenticated)
	}
	_, err := e.svc.LogIn(ctx, "alice", "password-alice")
	limited(t, err, 15*time.Minute)
	_, err = e.svc.LogIn(chat.WithClient(context.Background(), "198.51.100.1"), "ALICE", "password-alice")
	limited(t, err, 15*time.Minute) // the limit is the account's, from every address

	for i := range 2 { // 7th and 8th attempt from the address, on unknown accounts
		_, err = e.svc.LogIn(ctx, "nobody"+strconv.Itoa(i), "whatever1")
		require.ErrorIs(t, err, core.ErrUnauthenticated)
	}
	_, err = e.svc.LogIn(ctx, "someone-else", "whatever1")
	limited(t, err, time.Minute)

	for i := range 3 {
		_, err = e.svc.Register(ctx, chat.RegisterInput{Username: "new" + strconv.Itoa(i), Password: "password-new"})
		require.NoError(t, err)
	}
	_, err = e.svc.Register(ctx, chat.RegisterInput{Username: "new9", Password: "password-new"})
	limited(t, err, time.Hour)

	e.clock.Advance(15 * time.Minute)
	_, err = e.svc.LogIn(ctx, "alice", "password-alice")
	require.NoError(t, err)
}

// Password guessing backs off in two steps: a burst, then one attempt every 90 s, and past the day's allowance
// one every half hour.
func TestLogInBacksOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) {
		c.Limits = chat.Limits{chat.LimitLoginUser: {Limit: 10, Per: 15 * time.Minute},
			chat.LimitLoginUserDay: {Limit: 50, Per: 24 * time.Hour}}
	})
	e.user("alice")
	ctx := context.Background()
	attempts := 0
	try := func() error {
		attempts++
		_, err := e.svc.LogIn(ctx, "alice", "wrong password")
		return err
	}
	for range 10 {
		require.ErrorIs(t, try(), core.ErrUnauthenticated)
	}
	limited(t, try(), 90*time.Second)
	var err error
	for range 100 { // one every 90 s, until the day's allowance (50, refilling one per 28.8 min) runs out
		e.clock.Advance(90 * time.Second)
		if err = try(); !errors.Is(err, core.ErrUnauthenticated) {
			break
		}
	}
	limited(t, err, 24*time.Hour)
	assert.InDelta(t, 54, attempts, 3, "the day's step comes after about 50 attempts (plus what refilled meanwhile)")
	var ce *core.Error
	require.ErrorAs(t, err, &ce)
	assert.Greater(t, ce.RetryAfter, 20*time.Minute, "past the day's allowance the wait is the day's step")
}

func TestBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, carol)
	e.group(bob, alice) // alice and bob are contacts: each sees the other's presence

	require.ErrorIs(t, e.svc.Block(ctx, bob, bob), core.ErrInvalidArgument)
	require.ErrorIs(t, e.svc.Block(ctx, bob, "no-such-user"), core.ErrNotFound)
	require.NoError(t, e.svc.Block(ctx, bob, alice))
	require.NoError(t, e.svc.Block(ctx, bob, alice), "blocking twice is harmless")
	page, err := e.svc.Blocks(ctx, bob, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, alice, page.Items[0].BlockedID)

	_, err = e.svc.AddMembers(ctx, alice, g, []string{bob})
	require.ErrorIs(t, err, core.ErrPermissionDenied)
	_, _, err = e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{bob}})
	require.ErrorIs(t, err, core.ErrPermissionDenied)
	_, _, err = e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindGroup, Title: "t", MemberIDs: []string{carol, bob}})
	require.ErrorIs(t, err, core.ErrPermissionDenied)
	ms, err := e.svc.Members(ctx, alice, g, core.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, ms.Items, 2, "a refused add changes nothing")

	require.NoError(t, e.svc.Connected(ctx, bob, "n/1"))
	ps, err := e.svc.Presence(ctx, alice, []string{bob})
	require.NoError(t, err)
	assert.Equal(t, core.Presence{UserID: bob}, ps[0], "a blocker is shown offline, with no last-seen time")
	ps, err = e.svc.Presence(ctx, bob, []string{alice, bob})
	require.NoError(t, err)
	assert.True(t, ps[1].Online, "one always sees oneself")

	// Bob's presence changes are not announced to alice.
	rec := e.record(core.UserTopic(alice))
	require.NoError(t, e.svc.Disconnected(ctx, bob, "n/1"))
	time.Sleep(50 * time.Millisecond)
	rec.mu.Lock()
	assert.Empty(t, rec.envs[core.UserTopic(alice)])
	rec.mu.Unlock()

	require.NoError(t, e.svc.Unblock(ctx, bob, alice))
	_, _, err = e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{bob}})
	require.NoError(t, err)
}

func TestPresenceOnlyForContacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, everyone := range []bool{false, true} {
		e := newEnv(t, func(c *chat.Config) { c.PresenceToEveryone = everyone })
		alice, bob, stranger := e.user("alice"), e.user("bob"), e.user("stranger")
		ch, _, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindChannel, Title: "Public"})
		require.NoError(t, err)
		_, err = e.svc.Join(ctx, stranger, ch.ID)
		require.NoError(t, err)
		e.group(alice, bob)
		require.NoError(t, e.svc.Connected(ctx, alice, "n/1"))

		ps, err := e.svc.Presence(ctx, bob, []string{alice})
		require.NoError(t, err)
		assert.True(t, ps[0].Online, "a contact sees it")
		ps, err = e.svc.Presence(ctx, stranger, []string{alice})
		require.NoError(t, err)
		assert.Equal(t, everyone, ps[0].Online, "sharing a channel is not enough, unless presence is public")
		if !everyone {
			assert.Equal(t, core.Presence{UserID: alice}, ps[0])
		}
	}
}

func TestGroupCapHoldsOnEveryPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.Limits = chat.Limits{} })
	ctx := context.Background()
	owner := e.user("owner")
	ids := make([]string, 0, core.MaxGroupMembers+5)
	for i := range core.MaxGroupMembers + 5 {
		ids = append(ids, e.user("user"+strconv.Itoa(i)))
	}
	g := e.group(owner, ids[:core.MaxGroupMembers-1-50]...)
	_, err := e.svc.AddMembers(ctx, owner, g, ids[core.MaxGroupMembers-1-50:core.MaxGroupMembers-1])
	require.NoError(t, err, "up to the cap")
	_, err = e.svc.AddMembers(ctx, owner, g, ids[core.MaxGroupMembers-1:core.MaxGroupMembers+1])
	require.ErrorIs(t, err, core.ErrInvalidArgument)
	ms, err := e.svc.Members(ctx, owner, g, core.PageRequest{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, ms.Items)
	n := 0
	page := core.PageRequest{Limit: core.MaxHistoryLimit}
	for {
		p, err := e.svc.Members(ctx, owner, g, page)
		require.NoError(t, err)
		n += len(p.Items)
		if p.Next == "" {
			break
		}
		page.Cursor = p.Next
	}
	assert.Equal(t, core.MaxGroupMembers, n)
}

func TestPasswordChangeAndLogOutEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice := e.user("alice")
	rec := e.record(core.UserTopic(alice))
	a, err := e.svc.LogIn(ctx, "alice", "password-alice")
	require.NoError(t, err)
	b, err := e.svc.LogIn(ctx, "alice", "password-alice")
	require.NoError(t, err)

	err = e.svc.ChangePassword(ctx, a.Token, "not it", "new password!")
	require.ErrorIs(t, err, core.ErrPermissionDenied)
	require.ErrorIs(t, e.svc.ChangePassword(ctx, a.Token, "password-alice", "short"), core.ErrInvalidArgument)
	_, _, err = e.svc.AuthenticateSession(ctx, b.Token)
	require.NoError(t, err, "refused changes end nothing")

	require.NoError(t, e.svc.ChangePassword(ctx, a.Token, "password-alice", "new password!"))
	_, _, err = e.svc.AuthenticateSession(ctx, a.Token)
	require.NoError(t, err, "the session that changed it stays")
	_, _, err = e.svc.AuthenticateSession(ctx, b.Token)
	require.ErrorIs(t, err, core.ErrUnauthenticated, "every other session ends")
	envs := rec.wait(t, core.UserTopic(alice), 1)
	require.NotNil(t, envs[0].Session)
	assert.True(t, envs[0].Session.Ends(chat.HashToken(b.Token)))
	assert.False(t, envs[0].Session.Ends(chat.HashToken(a.Token)))
	_, err = e.svc.LogIn(ctx, "alice", "password-alice")
	require.ErrorIs(t, err, core.ErrUnauthenticated)

	c, err := e.svc.LogIn(ctx, "alice", "new password!")
	require.NoError(t, err)
	require.NoError(t, e.svc.LogOutEverywhere(ctx, a.Token))
	for _, tok := range []string{a.Token, c.Token} {
		_, _, err = e.svc.AuthenticateSession(ctx, tok)
		require.ErrorIs(t, err, core.ErrUnauthenticated)
	}
	envs = rec.wait(t, core.UserTopic(alice), 2)
	assert.True(t, envs[1].Session.Ends(chat.HashToken(a.Token)))
}

func TestParseLimits(t *testing.T) {
	l, err := chat.ParseLimits(chat.DefaultLimits(), "edit=5/1m, typing=off")
	require.NoError(t, err)
	assert.Equal(t, core.Rate{Limit: 5, Per: time.Minute}, l[chat.LimitEdit])
	_, on := l[chat.LimitTyping]
	assert.False(t, on)
	assert.Equal(t, chat.DefaultLimits()[chat.LimitSend], l[chat.LimitSend])
	l, err = chat.ParseLimits(chat.DefaultLimits(), "*=off,login-user=3/1h")
	require.NoError(t, err)
	assert.Equal(t, chat.Limits{chat.LimitLoginUser: {Limit: 3, Per: time.Hour}}, l)
	for _, bad := range []string{"edit", "nope=1/1s", "edit=0/1s", "edit=1/0s", "edit=x/1s", "*=1/1s"} {
		_, err := chat.ParseLimits(chat.DefaultLimits(), bad)
		assert.Error(t, err, bad)
	}
	for _, name := range chat.LimitNames() {
		assert.NotEmpty(t, chat.LimitDoc(name))
	}
}

func TestPresenceFoundExpiredIsAnnounced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	e.group(alice, bob)
	require.NoError(t, e.svc.Connected(ctx, alice, "frozen-node/1"))
	rec := e.record(core.UserTopic(bob))
	n, err := e.svc.ExpirePresence(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "a live connection is not expired")

	e.clock.Advance(chat.PresenceTTL + time.Second) // the node stopped heartbeating
	n, err = e.svc.ExpirePresence(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	envs := rec.wait(t, core.UserTopic(bob), 1)
	require.NotNil(t, envs[0].Presence)
	assert.Equal(t, alice, envs[0].Presence.UserID)
	assert.False(t, envs[0].Presence.Online)
	n, err = e.svc.ExpirePresence(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "announced once")
}
