package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestMentionsAreResolvedAndCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) {
		c.Limits = chat.Limits{chat.LimitMentionAll: {Limit: 2, Per: time.Hour}}
	})
	ctx := context.Background()
	alice, bob, carol, dave := e.user("alice"), e.user("bob"), e.user("carol"), e.user("dave")
	g := e.group(alice, bob, carol)
	unread := func(user string) (int64, int64) {
		t.Helper()
		s, err := e.svc.Conversation(ctx, user, g)
		require.NoError(t, err)
		return s.Unread, s.Mentions
	}

	m := e.send(alice, g, "hey @Bob and @dave and @nobody")
	assert.ElementsMatch(t, []string{bob, dave}, m.Mentions, "existing users are resolved; unknown names stay text")
	_, n := unread(bob)
	assert.Equal(t, int64(1), n)
	_, n = unread(carol)
	assert.Equal(t, int64(0), n)

	// An edit that drops the mention drops the count.
	edited, err := e.svc.Edit(ctx, alice, g, m.ID, "hey all")
	require.NoError(t, err)
	assert.Empty(t, edited.Mentions)
	_, n = unread(bob)
	assert.Equal(t, int64(0), n)

	// @channel: admins and owners only, rate limited.
	_, err = e.svc.Send(ctx, bob, chat.SendInput{ConversationID: g, Body: "@channel listen"})
	assert.Equal(t, core.CodePermissionDenied, core.CodeOf(err), "a plain member may not mention everyone")
	all := e.send(alice, g, "@channel listen")
	assert.Equal(t, core.MentionChannel, all.MentionAll)
	_, n = unread(carol)
	assert.Equal(t, int64(1), n)

	// @here: the members online now.
	require.NoError(t, e.svc.Connected(ctx, carol, "conn-carol"))
	e.clock.Advance(time.Second)
	here := e.send(alice, g, "@here quick one")
	assert.Equal(t, core.MentionHere, here.MentionAll)
	assert.Equal(t, []string{carol}, here.Mentions, "only carol is online")
	_, n = unread(carol)
	assert.Equal(t, int64(2), n)
	_, n = unread(bob)
	assert.Equal(t, int64(1), n, "bob was offline: only @channel counts for him")
	_, err = e.svc.Send(ctx, alice, chat.SendInput{ConversationID: g, Body: "@channel again"})
	assert.Equal(t, core.CodeRateLimited, core.CodeOf(err), "mention-all is limited")

	// The inbox.
	page, err := e.svc.Mentions(ctx, carol, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	assert.Equal(t, here.ID, page.Items[0].ID)
	assert.Equal(t, all.ID, page.Items[1].ID)
	page, err = e.svc.Mentions(ctx, dave, core.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Items, "dave is not a member: he finds nothing")

	// Notification settings.
	s, err := e.svc.SetNotifications(ctx, bob, g, core.NotifyMentions, true)
	require.NoError(t, err)
	assert.Equal(t, core.NotifyMentions, s.Member.Notify)
	assert.True(t, s.Member.Muted)
	_, err = e.svc.SetNotifications(ctx, bob, g, "loud", false)
	assert.Equal(t, core.CodeInvalidArgument, core.CodeOf(err))
	_, err = e.svc.SetNotifications(ctx, dave, g, core.NotifyNone, false)
	assert.Equal(t, core.CodeNotFound, core.CodeOf(err))
}
