package chat_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestCreateConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")

	d1, created, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{bob}})
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, "bob", d1.Title, "a direct conversation is named after the other member")
	d2, created, err := e.svc.CreateConversation(ctx, bob, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{alice, bob}})
	require.NoError(t, err)
	assert.False(t, created, "one direct conversation per pair")
	assert.Equal(t, d1.ID, d2.ID)
	assert.Equal(t, "alice", d2.Title)

	bad := []struct {
		name string
		in   chat.CreateInput
	}{
		{"unknown kind", chat.CreateInput{Kind: "forum", Title: "x"}},
		{"direct with nobody", chat.CreateInput{Kind: core.KindDirect}},
		{"direct with self", chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{alice}}},
		{"direct with title", chat.CreateInput{Kind: core.KindDirect, Title: "t", MemberIDs: []string{bob}}},
		{"group without title", chat.CreateInput{Kind: core.KindGroup, MemberIDs: []string{bob}}},
		{"unknown member", chat.CreateInput{Kind: core.KindGroup, Title: "t", MemberIDs: []string{"nope"}}},
	}
	for _, c := range bad {
		_, _, err := e.svc.CreateConversation(ctx, alice, c.in)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, c.name)
	}
	list, err := e.svc.ListConversations(ctx, alice, core.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, list.Items, 1, "refused creations created nothing")
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, mallory := e.user("alice"), e.user("bob"), e.user("mallory")
	group := e.group(alice, bob)
	ch, _, err := e.svc.CreateConversation(ctx, alice, chat.CreateInput{Kind: core.KindChannel, Title: "Lobby"})
	require.NoError(t, err)
	e.send(alice, group, "secret")

	_, err = e.svc.Conversation(ctx, mallory, group)
	assert.ErrorIs(t, err, core.ErrNotFound, "a private conversation's existence is hidden")
	_, _, err = e.svc.History(ctx, mallory, group, core.HistoryQuery{})
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, _, err = e.svc.Events(ctx, mallory, group, 0, 0)
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, err = e.svc.Send(ctx, mallory, chat.SendInput{ConversationID: group, Body: "hi"})
	assert.ErrorIs(t, err, core.ErrNotFound)
	_, err = e.svc.Join(ctx, mallory, group)
	assert.ErrorIs(t, err, core.ErrNotFound, "groups are invite-only")

	seen, err := e.svc.Conversation(ctx, mallory, ch.ID)
	require.NoError(t, err, "channels are discoverable")
	assert.Nil(t, seen.Member)
	_, _, err = e.svc.History(ctx, mallory, ch.ID, core.HistoryQuery{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "channel history is for members")
	dir, err := e.svc.Channels(ctx, "lob", core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, dir.Items, 1)

	joined, err := e.svc.Join(ctx, mallory, ch.ID)
	require.NoError(t, err)
	require.NotNil(t, joined.Member)
	assert.Equal(t, core.RoleMember, joined.Member.Role)
	again, err := e.svc.Join(ctx, mallory, ch.ID)
	require.NoError(t, err)
	assert.Equal(t, joined.LastSeq, again.LastSeq, "joining twice adds no event")
	e.send(mallory, ch.ID, "hello lobby")
}

func TestUpdateConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	g := e.group(alice, bob)
	title, topic := "Renamed", "what we do"
	s, err := e.svc.UpdateConversation(ctx, alice, g, chat.UpdateInput{Title: &title, Topic: &topic})
	require.NoError(t, err)
	assert.Equal(t, "Renamed", s.Title)
	assert.Equal(t, int64(1), s.LastSeq)
	_, err = e.svc.UpdateConversation(ctx, bob, g, chat.UpdateInput{Title: &title})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	empty := " "
	_, err = e.svc.UpdateConversation(ctx, alice, g, chat.UpdateInput{Title: &empty})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	s, err = e.svc.UpdateConversation(ctx, alice, g, chat.UpdateInput{Title: &title})
	require.NoError(t, err)
	assert.Equal(t, int64(1), s.LastSeq, "an update that changes nothing adds no event")
	evs, _, err := e.svc.Events(ctx, bob, g, 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, core.EventConversationUpdated, evs[0].Type)
	assert.Equal(t, "what we do", evs[0].Conversation.Topic)
}
