package chat_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestThreads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	g := e.group(alice, bob)
	root := e.send(alice, g, "what do you think?")
	reply := func(actor, body string) core.Message {
		t.Helper()
		out, err := e.svc.Send(ctx, actor, chat.SendInput{ConversationID: g, Body: body, ThreadRootID: root.ID})
		require.NoError(t, err)
		return out.Message
	}
	r1 := reply(bob, "looks good")
	assert.Equal(t, root.ID, r1.ThreadRootID)
	e.send(alice, g, "top level again")

	// The reply is not in the conversation's history nor its unread count; the root shows the thread.
	msgs, _, err := e.svc.History(ctx, alice, g, core.HistoryQuery{})
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.NotNil(t, msgs[0].Thread)
	assert.Equal(t, 1, msgs[0].Thread.ReplyCount)
	assert.Equal(t, []string{bob}, msgs[0].Thread.Participants)
	s, err := e.svc.Conversation(ctx, alice, g)
	require.NoError(t, err)
	assert.Equal(t, int64(0), s.Unread, "alice sent both top-level messages; bob's reply counts in the thread")

	// Replying follows; the root's author follows too; both see the thread and its unread replies.
	threads, err := e.svc.Threads(ctx, alice, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, threads.Items, 1)
	assert.Equal(t, int64(1), threads.Items[0].Unread)
	n, err := e.svc.UnreadThreads(ctx, alice)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	page, _, err := e.svc.ThreadMessages(ctx, alice, g, root.ID, core.HistoryQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{r1.ID}, []string{page[0].ID})
	_, err = e.svc.MarkThreadRead(ctx, alice, g, root.ID, r1.Seq)
	require.NoError(t, err)
	n, err = e.svc.UnreadThreads(ctx, alice)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	r2 := reply(bob, "one more")
	n, err = e.svc.UnreadThreads(ctx, alice)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a new reply by another is unread")

	// Unfollowing hides it until alice replies again.
	st, err := e.svc.FollowThread(ctx, alice, g, root.ID, false)
	require.NoError(t, err)
	assert.False(t, st.Following)
	threads, err = e.svc.Threads(ctx, alice, core.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, threads.Items)
	reply(alice, "back in")
	v, err := e.svc.Thread(ctx, alice, g, root.ID)
	require.NoError(t, err)
	assert.True(t, v.State.Following)
	assert.Equal(t, 3, v.Root.Thread.ReplyCount)

	// Bad input and outsiders.
	for _, c := range []struct {
		name  string
		actor string
		root  string
		code  core.Code
	}{
		{"a reply cannot start a thread", bob, r2.ID, core.CodeInvalidArgument},
		{"unknown root", bob, "nope", core.CodeInvalidArgument},
		{"non-member", carol, root.ID, core.CodeNotFound},
	} {
		_, err := e.svc.Send(ctx, c.actor, chat.SendInput{ConversationID: g, Body: "x", ThreadRootID: c.root})
		assert.Equal(t, c.code, core.CodeOf(err), c.name)
	}
	_, _, err = e.svc.ThreadMessages(ctx, carol, g, root.ID, core.HistoryQuery{})
	assert.Equal(t, core.CodeNotFound, core.CodeOf(err))
	_, _, err = e.svc.ThreadMessages(ctx, alice, g, r2.ID, core.HistoryQuery{})
	assert.Equal(t, core.CodeNotFound, core.CodeOf(err), "a reply is not a thread")
	_, err = e.svc.MarkThreadRead(ctx, alice, g, root.ID, 999)
	assert.Equal(t, core.CodeInvalidArgument, core.CodeOf(err))

	_, err = e.svc.Delete(ctx, alice, g, root.ID)
	require.NoError(t, err)
	_, err = e.svc.Send(ctx, bob, chat.SendInput{ConversationID: g, Body: "late", ThreadRootID: root.ID})
	assert.Equal(t, core.CodeConflict, core.CodeOf(err), "a deleted root takes no replies")
}
