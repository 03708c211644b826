package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// TestSearchThroughTheSDK: two members find each other's messages, highlighted; an outsider finds nothing; a
// removed member stops finding; a malformed query is refused.
func TestSearchThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	ann, ben, out := s.signUp(t, "se_ann"), s.signUp(t, "se_ben"), s.signUp(t, "se_out")
	g := ann.create(t, sdk.CreateConversationRequestKindGroup, "Search", ben).Id
	ann.send(t, g, "the quarterly giraffe report is late")
	m := ben.send(t, g, "Giraffe sightings doubled this quarter")
	ben.send(t, g, "nothing to see here")

	find := func(u *user, q string) sdk.SearchResults {
		t.Helper()
		r, err := u.c.SearchMessagesWithResponse(ctx, &sdk.SearchMessagesParams{Q: q})
		wantStatus(t, r, err, http.StatusOK)
		return *r.JSON200
	}
	res := find(ann, "giraffe")
	require.Len(t, res.Items, 2)
	assert.Equal(t, m.Id, res.Items[0].Message.Id, "newest first")
	assert.Equal(t, "\u0002Giraffe\u0003 sightings doubled this quarter", res.Items[0].Highlight)
	res = find(ben, `"giraffe report"`)
	require.Len(t, res.Items, 1)
	assert.Equal(t, "the quarterly giraffe report is late", res.Items[0].Message.Body)
	sender := ben.ID
	r, err := ann.c.SearchMessagesWithResponse(ctx, &sdk.SearchMessagesParams{Q: "giraffe", SenderId: &sender})
	wantStatus(t, r, err, http.StatusOK)
	require.Len(t, r.JSON200.Items, 1)

	assert.Empty(t, find(out, "giraffe").Items, "not a member: finds nothing")
	rm, err := ann.c.RemoveMemberWithResponse(ctx, g, ben.ID)
	wantStatus(t, rm, err, http.StatusNoContent)
	assert.Empty(t, find(ben, "giraffe").Items, "removed: finds nothing there any more")

	for _, q := range []string{"", "   ", `"" ?!`} {
		r, err := ann.c.SearchMessagesWithResponse(ctx, &sdk.SearchMessagesParams{Q: q})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	}
}
