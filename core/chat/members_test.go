package chat_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestMembershipRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, admin, member, newcomer := e.user("owner"), e.user("admin"), e.user("member"), e.user("newcomer")
	g := e.group(owner, admin, member)
	_, err := e.svc.SetRole(ctx, owner, g, admin, core.RoleAdmin)
	require.NoError(t, err)

	_, err = e.svc.AddMembers(ctx, member, g, []string{newcomer})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "plain members do not add")
	added, err := e.svc.AddMembers(ctx, admin, g, []string{newcomer, member})
	require.NoError(t, err)
	require.Len(t, added, 1, "existing members are skipped")
	assert.Equal(t, newcomer, added[0].UserID)
	_, err = e.svc.AddMembers(ctx, admin, g, []string{"ghost"})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)

	assert.ErrorIs(t, e.svc.RemoveMember(ctx, member, g, newcomer), core.ErrPermissionDenied)
	assert.ErrorIs(t, e.svc.RemoveMember(ctx, admin, g, owner), core.ErrPermissionDenied)
	assert.ErrorIs(t, e.svc.RemoveMember(ctx, owner, g, "ghost"), core.ErrNotFound)
	require.NoError(t, e.svc.RemoveMember(ctx, admin, g, newcomer))
	_, _, err = e.svc.History(ctx, newcomer, g, core.HistoryQuery{})
	assert.ErrorIs(t, err, core.ErrNotFound, "a removed member sees nothing")

	_, err = e.svc.SetRole(ctx, admin, g, member, core.RoleAdmin)
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "only owners set roles")
	_, err = e.svc.SetRole(ctx, owner, g, owner, core.RoleMember)
	assert.ErrorIs(t, err, core.ErrConflict, "the last owner cannot step down")
	_, err = e.svc.SetRole(ctx, owner, g, member, "emperor")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)

	assert.ErrorIs(t, e.svc.Leave(ctx, owner, g), core.ErrConflict, "the last owner must hand over first")
	_, err = e.svc.SetRole(ctx, owner, g, admin, core.RoleOwner)
	require.NoError(t, err)
	require.NoError(t, e.svc.Leave(ctx, owner, g))
	assert.ErrorIs(t, e.svc.Leave(ctx, owner, g), core.ErrNotFound)

	evs, _, err := e.svc.Events(ctx, admin, g, 0, 0)
	require.NoError(t, err)
	var types []core.EventType
	for i, ev := range evs {
		assert.Equal(t, int64(i+1), ev.Seq, "dense seqs")
		types = append(types, ev.Type)
	}
	assert.Equal(t, []core.EventType{core.EventMemberUpdated, core.EventMemberJoined, core.EventMemberLeft,
		core.EventMemberUpdated, core.EventMemberLeft}, types)
}

func TestDirectCannotBeLeftOrManaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b, c := e.user("anna"), e.user("bert"), e.user("cleo")
	d, _, err := e.svc.CreateConversation(ctx, a, chat.CreateInput{Kind: core.KindDirect, MemberIDs: []string{b}})
	require.NoError(t, err)
	assert.ErrorIs(t, e.svc.Leave(ctx, a, d.ID), core.ErrConflict)
	_, err = e.svc.AddMembers(ctx, a, d.ID, []string{c})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	members, err := e.svc.Members(ctx, b, d.ID, core.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, members.Items, 2)
}
