package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// TestThreadsThroughTheSDK: a member replies in a thread; the other sees the reply count on the root, the
// thread in their followed threads with an unread reply, reads it; an outsider sees none of it.
func TestThreadsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	ann, ben, out := s.signUp(t, "th_ann"), s.signUp(t, "th_ben"), s.signUp(t, "th_out")
	g := ann.create(t, sdk.CreateConversationRequestKindChannel, "Threads", ben).Id
	root := ann.send(t, g, "thread starter")

	id := "reply-1"
	sr, err := ben.c.SendMessageWithResponse(ctx, g, sdk.SendMessageRequest{ClientMsgId: &id, Body: "a reply", ThreadRootId: &root.Id})
	wantStatus(t, sr, err, http.StatusCreated)
	reply := *sr.JSON201
	require.NotNil(t, reply.ThreadRootId)
	assert.Equal(t, root.Id, *reply.ThreadRootId)

	hist := ann.history(t, g, 10)
	require.Len(t, hist, 1, "the reply stays out of the conversation's history")
	require.NotNil(t, hist[0].Thread)
	assert.Equal(t, int64(1), hist[0].Thread.ReplyCount)
	assert.Equal(t, []string{ben.ID}, hist[0].Thread.Participants)

	tm, err := ann.c.ListThreadMessagesWithResponse(ctx, g, root.Id, &sdk.ListThreadMessagesParams{})
	wantStatus(t, tm, err, http.StatusOK)
	require.Len(t, tm.JSON200.Items, 1)
	assert.Equal(t, reply.Id, tm.JSON200.Items[0].Id)

	threads, err := ann.c.ListThreadsWithResponse(ctx, &sdk.ListThreadsParams{})
	wantStatus(t, threads, err, http.StatusOK)
	require.Len(t, threads.JSON200.Items, 1, "the root's author follows the thread")
	assert.Equal(t, int64(1), threads.JSON200.Items[0].Unread)
	assert.Equal(t, 1, int(threads.JSON200.UnreadThreads))

	rd, err := ann.c.MarkThreadReadWithResponse(ctx, g, root.Id, sdk.MarkReadRequest{Seq: reply.Seq})
	wantStatus(t, rd, err, http.StatusOK)
	threads, err = ann.c.ListThreadsWithResponse(ctx, &sdk.ListThreadsParams{})
	wantStatus(t, threads, err, http.StatusOK)
	assert.Equal(t, 0, int(threads.JSON200.UnreadThreads))

	un, err := ben.c.UnfollowThreadWithResponse(ctx, g, root.Id)
	wantStatus(t, un, err, http.StatusOK)
	assert.False(t, un.JSON200.Following)
	th, err := ben.c.GetThreadWithResponse(ctx, g, root.Id)
	wantStatus(t, th, err, http.StatusOK)
	assert.False(t, th.JSON200.Following)
	fo, err := ben.c.FollowThreadWithResponse(ctx, g, root.Id)
	wantStatus(t, fo, err, http.StatusOK)
	assert.True(t, fo.JSON200.Following)

	// Bad input changes nothing; an outsider sees nothing.
	before := ann.snapshot(t, g)
	id2 := "reply-2"
	sr, err = ben.c.SendMessageWithResponse(ctx, g, sdk.SendMessageRequest{ClientMsgId: &id2, Body: "nested", ThreadRootId: &reply.Id})
	wantProblem(t, sr, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	tm, err = out.c.ListThreadMessagesWithResponse(ctx, g, root.Id, &sdk.ListThreadMessagesParams{})
	wantProblem(t, tm, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied) // a channel: join first
	threads, err = out.c.ListThreadsWithResponse(ctx, &sdk.ListThreadsParams{})
	wantStatus(t, threads, err, http.StatusOK)
	assert.Empty(t, threads.JSON200.Items)
	assert.Equal(t, before, ann.snapshot(t, g))
}
