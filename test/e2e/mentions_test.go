package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// TestMentionsThroughTheSDK: two members mention each other; each sees the unread-mention badge and the inbox;
// a read mark clears the badge; an outsider finds nothing; notification settings are the caller's own.
func TestMentionsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	ann, ben, out := s.signUp(t, "mn_ann"), s.signUp(t, "mn_ben"), s.signUp(t, "mn_out")
	g := ann.create(t, sdk.CreateConversationRequestKindGroup, "Mentions", ben).Id

	m := ann.send(t, g, "hi @MN_BEN, meet @mn_out and @nobody_here")
	require.NotNil(t, m.Mentions)
	assert.ElementsMatch(t, []string{ben.ID, out.ID}, *m.Mentions)
	ben.send(t, g, "thanks @mn_ann")
	ann.send(t, g, "no mention here")

	bc := ben.conversation(t, g)
	assert.Equal(t, int64(2), bc.Unread)
	assert.Equal(t, int64(1), bc.Mentions, "ben's badge")
	assert.Equal(t, int64(1), ann.conversation(t, g).Mentions, "ann's badge")

	inbox, err := ben.c.ListMentionsWithResponse(ctx, &sdk.ListMentionsParams{})
	wantStatus(t, inbox, err, http.StatusOK)
	require.Len(t, inbox.JSON200.Items, 1)
	assert.Equal(t, m.Id, inbox.JSON200.Items[0].Id)
	inbox, err = out.c.ListMentionsWithResponse(ctx, &sdk.ListMentionsParams{})
	wantStatus(t, inbox, err, http.StatusOK)
	assert.Empty(t, inbox.JSON200.Items, "mentioned in a conversation he is not in: nothing to find")

	r, err := ben.c.MarkReadWithResponse(ctx, g, sdk.MarkReadRequest{Seq: m.Seq})
	wantStatus(t, r, err, http.StatusOK)
	bc = ben.conversation(t, g)
	assert.Equal(t, int64(1), bc.Unread)
	assert.Equal(t, int64(0), bc.Mentions, "read past the mention")

	// A plain member may not mention everyone.
	id := "everyone-1"
	sr, err := ben.c.SendMessageWithResponse(ctx, g, sdk.SendMessageRequest{ClientMsgId: &id, Body: "@channel hello"})
	wantProblem(t, sr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)

	muted := true
	n, err := ben.c.SetNotificationsWithResponse(ctx, g, sdk.NotificationsRequest{Level: sdk.NotificationsRequestLevelMentions, Muted: &muted})
	wantStatus(t, n, err, http.StatusOK)
	require.NotNil(t, n.JSON200.NotifyLevel)
	assert.Equal(t, sdk.ConversationNotifyLevelMentions, *n.JSON200.NotifyLevel)
	require.NotNil(t, n.JSON200.Muted)
	assert.True(t, *n.JSON200.Muted)
	ac := ann.conversation(t, g)
	require.NotNil(t, ac.NotifyLevel)
	assert.Equal(t, sdk.ConversationNotifyLevelAll, *ac.NotifyLevel, "settings are per member")
	n, err = out.c.SetNotificationsWithResponse(ctx, g, sdk.NotificationsRequest{Level: sdk.NotificationsRequestLevelNone})
	wantProblem(t, n, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	bad, err := s.raw(t, http.MethodPut, "/v1/conversations/"+g+"/notifications", ben.Token, strings.NewReader(`{"level":"loud"}`))
	wantProblem(t, bad, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
}
