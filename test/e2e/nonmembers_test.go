package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

func TestNonMembers(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice, bob, out := s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "outsider")
	group := alice.create(t, sdk.CreateConversationRequestKindGroup, "Private", bob)
	direct := alice.create(t, sdk.CreateConversationRequestKindDirect, "", bob)
	channel := alice.create(t, sdk.CreateConversationRequestKindChannel, "Public", bob)
	msgs := map[string]sdk.Message{}
	for _, c := range []sdk.Conversation{group, direct, channel} {
		alice.send(t, c.Id, "first")
		msgs[c.Id] = bob.send(t, c.Id, "second")
	}

	for _, c := range []sdk.Conversation{group, direct} {
		t.Run(string(c.Kind)+": a non-member gets 404 for everything", func(t *testing.T) {
			notFound := func(r apiResponse, err error) {
				t.Helper()
				wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
			}
			notFound(out.c.GetConversationWithResponse(ctx, c.Id))
			notFound(out.c.ListMessagesWithResponse(ctx, c.Id, nil))
			notFound(out.c.ListEventsWithResponse(ctx, c.Id, nil))
			notFound(out.c.SendMessageWithResponse(ctx, c.Id, sdk.SendMessageRequest{Body: "let me in"}))
			notFound(out.c.ListMembersWithResponse(ctx, c.Id, nil))
			notFound(out.c.JoinConversationWithResponse(ctx, c.Id))
			notFound(out.c.LeaveConversationWithResponse(ctx, c.Id))
			notFound(out.c.MarkReadWithResponse(ctx, c.Id, sdk.MarkReadRequest{Seq: 1}))
			notFound(out.c.UpdateConversationWithResponse(ctx, c.Id, sdk.UpdateConversationRequest{Title: ptr("mine")}))
			notFound(out.c.AddMembersWithResponse(ctx, c.Id, sdk.AddMembersRequest{UserIds: []string{out.ID}}))
			notFound(out.c.RemoveMemberWithResponse(ctx, c.Id, bob.ID))
			notFound(out.c.UpdateMemberWithResponse(ctx, c.Id, bob.ID, sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleOwner}))
			notFound(out.c.EditMessageWithResponse(ctx, c.Id, msgs[c.Id].Id, sdk.EditMessageRequest{Body: "mine"}))
			notFound(out.c.DeleteMessageWithResponse(ctx, c.Id, msgs[c.Id].Id))

			// The answer is the same as for a conversation that does not exist: existence is not revealed.
			r, err := out.c.GetConversationWithResponse(ctx, "no-such-conversation")
			p := wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
			r2, err := out.c.GetConversationWithResponse(ctx, c.Id)
			p2 := wantProblem(t, r2, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
			assert.Equal(t, p, p2)

			// Nothing changed.
			h := alice.history(t, c.Id, 0)
			require.Len(t, h, 2)
			assert.Equal(t, msgs[c.Id], h[1])
			assert.Equal(t, int64(2), alice.conversation(t, c.Id).LastSeq)
			assert.Len(t, alice.members(t, c.Id, 50), 2)
		})
	}

	t.Run("channel: a non-member may look and join, but not read or write", func(t *testing.T) {
		forbidden := func(r apiResponse, err error) {
			t.Helper()
			wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		}
		forbidden(out.c.ListMessagesWithResponse(ctx, channel.Id, nil))
		forbidden(out.c.ListEventsWithResponse(ctx, channel.Id, nil))
		forbidden(out.c.SendMessageWithResponse(ctx, channel.Id, sdk.SendMessageRequest{Body: "let me in"}))
		forbidden(out.c.MarkReadWithResponse(ctx, channel.Id, sdk.MarkReadRequest{Seq: 1}))
		forbidden(out.c.EditMessageWithResponse(ctx, channel.Id, msgs[channel.Id].Id, sdk.EditMessageRequest{Body: "x"}))
		forbidden(out.c.DeleteMessageWithResponse(ctx, channel.Id, msgs[channel.Id].Id))
		forbidden(out.c.UpdateConversationWithResponse(ctx, channel.Id, sdk.UpdateConversationRequest{Title: ptr("mine")}))
		assert.Len(t, alice.history(t, channel.Id, 0), 2, "nothing was sent")

		seen := out.conversation(t, channel.Id)
		assert.Equal(t, channel.Id, seen.Id)
		assert.Equal(t, "Public", seen.Title)
		assert.Equal(t, int64(2), seen.LastSeq)
		assert.Nil(t, seen.Role, "no role: not a member")
		assert.Nil(t, seen.LastMessage, "no message content for non-members")
		assert.Equal(t, int64(0), seen.ReadSeq)
		assert.Equal(t, int64(0), seen.Unread)
		assert.Len(t, out.members(t, channel.Id, 50), 2, "a channel's members are public")
		assert.Contains(t, convIDs(out.allChannels(t, "", 50)), channel.Id)

		jr, err := out.c.JoinConversationWithResponse(ctx, channel.Id)
		wantStatus(t, jr, err, http.StatusOK)
		h := out.history(t, channel.Id, 0)
		require.Len(t, h, 2, "after joining, history is readable")
		assert.Equal(t, msgs[channel.Id], h[1])
		evs := out.events(t, channel.Id, 0)
		requireDense(t, channel.Id, evs)
		assert.Equal(t, "member.joined", string(evs[2].Type))
		m := out.send(t, channel.Id, "hi all")
		assert.Equal(t, int64(4), m.Seq)
		assert.Equal(t, []string{channel.Id}, convIDs(out.allConversations(t, 50)))
	})

	t.Run("listConversations shows only one's own conversations", func(t *testing.T) {
		stranger := s.signUp(t, "stranger")
		assert.Empty(t, stranger.allConversations(t, 50))
		assert.ElementsMatch(t, []string{group.Id, direct.Id, channel.Id}, convIDs(bob.allConversations(t, 50)))
		lr, err := out.c.LeaveConversationWithResponse(ctx, channel.Id)
		wantStatus(t, lr, err, http.StatusNoContent)
		assert.Empty(t, out.allConversations(t, 50))
		r, err := out.c.ListMessagesWithResponse(ctx, channel.Id, nil)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	})
}
