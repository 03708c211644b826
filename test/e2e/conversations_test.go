package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// allConversations walks listConversations with pages of limit.
func (u *user) allConversations(t testing.TB, limit int64) []sdk.Conversation {
	t.Helper()
	var all []sdk.Conversation
	params := &sdk.ListConversationsParams{Limit: &limit}
	for range 1000 {
		r, err := u.c.ListConversationsWithResponse(t.Context(), params)
		wantStatus(t, r, err, http.StatusOK)
		require.LessOrEqual(t, int64(len(r.JSON200.Items)), limit)
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all
		}
		params = &sdk.ListConversationsParams{Limit: &limit, Cursor: r.JSON200.Next}
	}
	t.Fatal("conversation paging did not end")
	return nil
}

// allChannels walks listChannels with pages of limit.
func (u *user) allChannels(t testing.TB, q string, limit int64) []sdk.Conversation {
	t.Helper()
	var all []sdk.Conversation
	params := &sdk.ListChannelsParams{Limit: &limit}
	if q != "" {
		params.Q = &q
	}
	for range 1000 {
		r, err := u.c.ListChannelsWithResponse(t.Context(), params)
		wantStatus(t, r, err, http.StatusOK)
		require.LessOrEqual(t, int64(len(r.JSON200.Items)), limit)
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all
		}
		params = &sdk.ListChannelsParams{Q: params.Q, Limit: &limit, Cursor: r.JSON200.Next}
	}
	t.Fatal("channel paging did not end")
	return nil
}

func titles(cs []sdk.Conversation) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Title)
	}
	return out
}

func TestConversations(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice, bob, carol := s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "carol")

	t.Run("createConversation direct twice gives the same conversation, 201 then 200", func(t *testing.T) {
		req := sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{bob.ID}}
		first, err := alice.c.CreateConversationWithResponse(ctx, req)
		wantStatus(t, first, err, http.StatusCreated)
		d := *first.JSON201
		assert.Equal(t, sdk.ConversationKindDirect, d.Kind)
		assert.Equal(t, bob.DisplayName, d.Title, "a direct conversation is named after the other member")
		assert.Equal(t, int64(0), d.LastSeq)
		require.NotNil(t, d.Role)
		assert.Equal(t, sdk.ConversationRoleMember, *d.Role)

		again, err := alice.c.CreateConversationWithResponse(ctx, req)
		wantStatus(t, again, err, http.StatusOK)
		assert.Equal(t, d.Id, again.JSON200.Id)

		fromBob, err := bob.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
			Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{alice.ID}})
		wantStatus(t, fromBob, err, http.StatusOK)
		assert.Equal(t, d.Id, fromBob.JSON200.Id, "one direct conversation per pair, whoever asks")
		assert.Equal(t, alice.DisplayName, fromBob.JSON200.Title)

		r, err := alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
			Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{bob.ID, carol.ID}})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		r, err = alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
			Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{bob.ID}, Title: ptr("no titles")})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
	})

	t.Run("createConversation group and channel; getConversation", func(t *testing.T) {
		g := alice.create(t, sdk.CreateConversationRequestKindGroup, "  Team  ", bob)
		assert.Equal(t, sdk.ConversationKindGroup, g.Kind)
		assert.Equal(t, "Team", g.Title)
		assert.Equal(t, sdk.ConversationRoleOwner, *g.Role)
		assert.WithinDuration(t, time.Now(), g.CreatedAt, time.Minute)
		assert.Equal(t, g, alice.conversation(t, g.Id))
		asBob := bob.conversation(t, g.Id)
		assert.Equal(t, sdk.ConversationRoleMember, *asBob.Role)

		r, err := alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindGroup})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument) // a group needs a title
		r, err = alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: "room", Title: ptr("x")})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		r, err = alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
			Kind: sdk.CreateConversationRequestKindGroup, Title: ptr("x"), MemberIds: &[]string{"no-such-user"}})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)

		ch, err := alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
			Kind: sdk.CreateConversationRequestKindChannel, Title: ptr("General"), Topic: ptr("anything goes")})
		wantStatus(t, ch, err, http.StatusCreated)
		assert.Equal(t, sdk.ConversationKindChannel, ch.JSON201.Kind)
		assert.Equal(t, "anything goes", ch.JSON201.Topic)
	})

	t.Run("updateConversation renames and changes the topic", func(t *testing.T) {
		g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Old name", bob)
		r, err := alice.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Title: ptr("New name")})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, "New name", r.JSON200.Title)
		assert.Equal(t, "", r.JSON200.Topic)
		assert.Equal(t, int64(1), r.JSON200.LastSeq, "a change is an event")
		r, err = alice.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Topic: ptr("plans")})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, "New name", r.JSON200.Title, "absent properties stay")
		assert.Equal(t, "plans", r.JSON200.Topic)
		r, err = alice.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Topic: ptr("plans")})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, int64(2), r.JSON200.LastSeq, "no change, no event")

		evs := bob.events(t, g.Id, 0)
		requireDense(t, g.Id, evs)
		require.Len(t, evs, 2)
		for _, e := range evs {
			assert.Equal(t, sdk.ConversationUpdated, e.Type)
			assert.Equal(t, alice.ID, e.ActorId)
			require.NotNil(t, e.Data.Conversation)
		}
		assert.Equal(t, "New name", evs[0].Data.Conversation.Title)
		assert.Equal(t, "plans", evs[1].Data.Conversation.Topic)
		assert.Equal(t, "New name", bob.conversation(t, g.Id).Title)

		r, err = alice.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Title: ptr("   ")})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		assert.Equal(t, "New name", bob.conversation(t, g.Id).Title)
	})

	t.Run("listChannels filters by title and pages", func(t *testing.T) {
		dave := s.signUp(t, "dave")
		for _, title := range []string{"Go lang", "golf", "Rust", "cooking", "Gophers"} {
			dave.create(t, sdk.CreateConversationRequestKindChannel, title)
		}
		dave.create(t, sdk.CreateConversationRequestKindGroup, "Go secret group")
		got := carol.allChannels(t, "go", 2)
		assert.ElementsMatch(t, []string{"Go lang", "golf", "Gophers"}, titles(got), "q matches part of the title, case-insensitively; groups are not listed")
		all := carol.allChannels(t, "", 1)
		assert.Contains(t, titles(all), "General")
		assert.Contains(t, titles(all), "Rust")
		assert.Len(t, all, 6)
		assert.Equal(t, all, carol.allChannels(t, "", 200), "small pages walk the same list as one big page")
		for _, c := range all {
			assert.Equal(t, sdk.ConversationKindChannel, c.Kind)
		}
		assert.Empty(t, carol.allChannels(t, "nothing like this", 10))
	})

	t.Run("joinConversation and leaveConversation", func(t *testing.T) {
		ch := alice.create(t, sdk.CreateConversationRequestKindChannel, "Joinable")
		r, err := carol.c.JoinConversationWithResponse(ctx, ch.Id)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.ConversationRoleMember, *r.JSON200.Role)
		assert.Equal(t, int64(1), r.JSON200.LastSeq)
		r, err = carol.c.JoinConversationWithResponse(ctx, ch.Id)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, int64(1), r.JSON200.LastSeq, "joining twice is harmless")
		assert.Contains(t, convIDs(carol.allConversations(t, 50)), ch.Id)

		lr, err := carol.c.LeaveConversationWithResponse(ctx, ch.Id)
		wantStatus(t, lr, err, http.StatusNoContent)
		assert.NotContains(t, convIDs(carol.allConversations(t, 50)), ch.Id)
		evs := alice.events(t, ch.Id, 0)
		requireDense(t, ch.Id, evs)
		assert.Equal(t, []string{"member.joined", "member.left"}, eventTypes(evs))
		assert.Equal(t, carol.ID, evs[1].Data.Member.UserId)

		lr, err = carol.c.LeaveConversationWithResponse(ctx, ch.Id)
		wantProblem(t, lr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied) // not a member of the channel any more

		g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Private")
		r, err = carol.c.JoinConversationWithResponse(ctx, g.Id)
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)

		d := alice.create(t, sdk.CreateConversationRequestKindDirect, "", carol)
		lr, err = alice.c.LeaveConversationWithResponse(ctx, d.Id)
		wantProblem(t, lr, err, http.StatusConflict, sdk.ProblemCodeConflict)
		assert.Contains(t, convIDs(alice.allConversations(t, 50)), d.Id)
	})

	t.Run("listConversations: lastSeq, readSeq, unread, lastMessage, most recent first, paged", func(t *testing.T) {
		erin, frank := s.signUp(t, "erin"), s.signUp(t, "frank")
		var made []sdk.Conversation
		for _, title := range []string{"one", "two", "three", "four", "five"} {
			made = append(made, erin.create(t, sdk.CreateConversationRequestKindGroup, title, frank))
			time.Sleep(2 * time.Millisecond) // distinct activity times
		}
		first := made[0]
		erin.send(t, first.Id, "hello")
		erin.send(t, first.Id, "are you there?")
		last := frank.send(t, first.Id, "yes")

		list := erin.allConversations(t, 2)
		require.Len(t, list, 5)
		assert.Equal(t, first.Id, list[0].Id, "most recently active first")
		assert.Equal(t, []string{"one", "five", "four", "three", "two"}, titles(list))
		assert.Equal(t, list, erin.allConversations(t, 200), "pages of 2 walk the same list as one page")

		asErin := list[0]
		assert.Equal(t, int64(3), asErin.LastSeq)
		assert.Equal(t, int64(0), asErin.ReadSeq)
		assert.Equal(t, int64(1), asErin.Unread, "only others' messages are unread")
		require.NotNil(t, asErin.LastMessage)
		assert.Equal(t, last, *asErin.LastMessage)
		for _, c := range list[1:] {
			assert.Nil(t, c.LastMessage)
			assert.Equal(t, int64(0), c.LastSeq)
		}

		asFrank := frank.allConversations(t, 1)
		require.Len(t, asFrank, 5)
		assert.Equal(t, first.Id, asFrank[0].Id)
		assert.Equal(t, int64(2), asFrank[0].Unread)

		rr, err := frank.c.MarkReadWithResponse(ctx, first.Id, sdk.MarkReadRequest{Seq: 3})
		wantStatus(t, rr, err, http.StatusOK)
		asFrank = frank.allConversations(t, 50)
		assert.Equal(t, int64(3), asFrank[0].ReadSeq)
		assert.Equal(t, int64(0), asFrank[0].Unread)
	})
}
