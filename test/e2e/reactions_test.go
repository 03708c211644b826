package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// TestReactionsAndPinsThroughTheSDK: two members react and pin through the generated Go SDK against the binary;
// an outsider can do none of it, and bad input changes nothing.
func TestReactionsAndPinsThroughTheSDK(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	ann, ben, out := s.signUp(t, "rp_ann"), s.signUp(t, "rp_ben"), s.signUp(t, "rp_out")
	g := ann.create(t, sdk.CreateConversationRequestKindGroup, "Reacts", ben).Id
	m := ben.send(t, g, "react to me")

	r, err := ann.c.AddReactionWithResponse(ctx, g, m.Id, "👍")
	wantStatus(t, r, err, http.StatusOK)
	assert.Equal(t, []sdk.ReactionCount{{Emoji: "👍", Count: 1, Me: true}}, r.JSON200.Items)
	r, err = ben.c.AddReactionWithResponse(ctx, g, m.Id, ":thumbsup:")
	wantStatus(t, r, err, http.StatusOK)
	assert.Equal(t, []sdk.ReactionCount{{Emoji: "👍", Count: 2, Me: true}}, r.JSON200.Items)
	r, err = ben.c.AddReactionWithResponse(ctx, g, m.Id, "🎉")
	wantStatus(t, r, err, http.StatusOK)

	hist := ann.history(t, g, 10)
	require.Len(t, hist, 1)
	require.NotNil(t, hist[0].Reactions)
	assert.Equal(t, []sdk.ReactionCount{{Emoji: "👍", Count: 2, Me: true}, {Emoji: "🎉", Count: 1, Me: false}}, *hist[0].Reactions)

	rm, err := ben.c.RemoveReactionWithResponse(ctx, g, m.Id, "🎉")
	wantStatus(t, rm, err, http.StatusOK)
	assert.Equal(t, []sdk.ReactionCount{{Emoji: "👍", Count: 2, Me: true}}, rm.JSON200.Items)

	// Pins: the owner pins; a plain member may not.
	pm, err := ben.c.PinMessageWithResponse(ctx, g, m.Id)
	wantProblem(t, pm, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	pm, err = ann.c.PinMessageWithResponse(ctx, g, m.Id)
	wantStatus(t, pm, err, http.StatusOK)
	require.NotNil(t, pm.JSON200.PinnedAt)
	assert.Equal(t, ann.ID, *pm.JSON200.PinnedBy)
	pins, err := ben.c.ListPinsWithResponse(ctx, g)
	wantStatus(t, pins, err, http.StatusOK)
	require.Len(t, pins.JSON200.Items, 1)
	assert.Equal(t, m.Id, pins.JSON200.Items[0].Id)
	require.NotNil(t, pins.JSON200.Items[0].Reactions)
	assert.Equal(t, []sdk.ReactionCount{{Emoji: "👍", Count: 2, Me: true}}, *pins.JSON200.Items[0].Reactions)

	// Every change is a sequenced event that resumes like messages do.
	assert.Equal(t, []string{"message.created", "reaction.added", "reaction.added", "reaction.added",
		"reaction.removed", "message.pinned"}, eventTypes(ben.events(t, g, 100)))

	// Bad input gets a clear error and changes nothing.
	before := ann.snapshot(t, g)
	for _, emoji := range []string{"ok", ":nope:", "👍👍"} {
		r, err := ann.c.AddReactionWithResponse(ctx, g, m.Id, emoji)
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	}
	r, err = ann.c.AddReactionWithResponse(ctx, g, "no-such-message", "👍")
	wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	// An outsider can do none of it.
	r, err = out.c.AddReactionWithResponse(ctx, g, m.Id, "👍")
	wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	pm, err = out.c.PinMessageWithResponse(ctx, g, m.Id)
	wantProblem(t, pm, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	pins, err = out.c.ListPinsWithResponse(ctx, g)
	wantProblem(t, pins, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	assert.Equal(t, before, ann.snapshot(t, g), "refused requests changed nothing")

	un, err := ann.c.UnpinMessageWithResponse(ctx, g, m.Id)
	wantStatus(t, un, err, http.StatusOK)
	assert.Nil(t, un.JSON200.PinnedAt)
	pins, err = ann.c.ListPinsWithResponse(ctx, g)
	wantStatus(t, pins, err, http.StatusOK)
	assert.Empty(t, pins.JSON200.Items)
}
