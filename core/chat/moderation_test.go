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

// adminKey is the caller of an admin API key.
var adminKey = chat.Caller{Key: &core.APIKey{ID: "key-admin", Scope: core.ScopeAdmin}}

// as is the caller of a signed-in user.
func (e *env) as(id string) chat.Caller {
	e.t.Helper()
	u, err := e.store.UserByID(context.Background(), id)
	require.NoError(e.t, err)
	return chat.Caller{User: u}
}

// moderated is a channel with an owner, an admin and two plain members.
func (e *env) moderated() (ch, owner, admin, m1, m2 string) {
	e.t.Helper()
	ctx := context.Background()
	owner, admin, m1, m2 = e.user("owner"), e.user("admin"), e.user("member1"), e.user("member2")
	sum, _, err := e.svc.CreateConversation(ctx, owner, chat.CreateInput{Kind: core.KindChannel, Title: "Lobby",
		MemberIDs: []string{admin, m1, m2}})
	require.NoError(e.t, err)
	_, err = e.svc.SetRole(ctx, owner, sum.ID, admin, core.RoleAdmin)
	require.NoError(e.t, err)
	return sum.ID, owner, admin, m1, m2
}

func TestBansRemoveAndKeepOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ch, owner, admin, m1, m2 := e.moderated()

	_, err := e.svc.Ban(ctx, e.as(m1), ch, m2, chat.BanInput{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "plain members do not ban")
	_, err = e.svc.Ban(ctx, e.as(admin), ch, owner, chat.BanInput{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "nobody bans an owner")
	_, err = e.svc.Ban(ctx, adminKey, ch, owner, chat.BanInput{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "not even an admin key")
	_, err = e.svc.Ban(ctx, e.as(admin), ch, admin, chat.BanInput{})
	assert.ErrorIs(t, err, core.ErrConflict, "nor oneself")
	_, err = e.svc.Ban(ctx, e.as(admin), ch, m1, chat.BanInput{Duration: -time.Second})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = e.svc.Ban(ctx, e.as(admin), ch, m1, chat.BanInput{Duration: 1500 * time.Millisecond})
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "whole seconds")

	b, err := e.svc.Ban(ctx, e.as(admin), ch, m1, chat.BanInput{Reason: " spam ", Duration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, "spam", b.Reason)
	assert.Equal(t, core.Actor{Type: core.ActorUser, ID: admin}, b.BannedBy)
	_, err = e.store.Member(ctx, ch, m1)
	assert.ErrorIs(t, err, core.ErrNotFound, "a ban removes the member")
	evs, _, err := e.svc.Events(ctx, owner, ch, 0, 100)
	require.NoError(t, err)
	last := evs[len(evs)-1]
	assert.Equal(t, core.EventMemberLeft, last.Type)
	assert.Equal(t, admin, last.ActorID)

	_, err = e.svc.Join(ctx, m1, ch)
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "a banned user cannot join")
	_, err = e.svc.AddMembers(ctx, owner, ch, []string{m1})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "nor be added")
	_, err = e.svc.AdminAddMembers(ctx, adminKey, ch, []string{m1})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "not even by an admin")

	// A ban of a non-member (pre-emptive), without expiry, by an admin key.
	outsider := e.user("outsider")
	_, err = e.svc.Ban(ctx, adminKey, ch, outsider, chat.BanInput{})
	require.NoError(t, err)
	_, err = e.svc.Join(ctx, outsider, ch)
	assert.ErrorIs(t, err, core.ErrPermissionDenied)

	bans, err := e.svc.Bans(ctx, e.as(owner), ch, core.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, bans.Items, 2)
	_, err = e.svc.Bans(ctx, e.as(m2), ch, core.PageRequest{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)

	e.clock.Advance(time.Hour)
	_, err = e.svc.Join(ctx, m1, ch)
	require.NoError(t, err, "the timed ban ran out")
	require.NoError(t, e.svc.Unban(ctx, e.as(owner), ch, outsider))
	assert.ErrorIs(t, e.svc.Unban(ctx, e.as(owner), ch, outsider), core.ErrNotFound, "lifted already")
	_, err = e.svc.Join(ctx, outsider, ch)
	require.NoError(t, err, "a lifted ban lets them in")

	log, err := e.svc.AuditLog(ctx, adminKey, core.AuditQuery{ConversationID: ch}, core.PageRequest{})
	require.NoError(t, err)
	var actions []string
	for _, a := range log.Items {
		actions = append(actions, a.Action)
	}
	assert.Equal(t, []string{chat.AuditUnban, chat.AuditBan, chat.AuditBan}, actions, "newest first; refusals are not recorded")
	assert.Equal(t, core.Actor{Type: core.ActorUser, ID: owner}, log.Items[0].Actor)
	assert.Equal(t, core.Actor{Type: core.ActorAPIKey, ID: "key-admin"}, log.Items[1].Actor)
	assert.Equal(t, "spam", log.Items[2].Details["reason"])
	_, err = e.svc.AuditLog(ctx, e.as(owner), core.AuditQuery{}, core.PageRequest{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "a conversation's owner is no system admin")
}

func TestMutesKeepMembersFromPosting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ch, owner, admin, m1, _ := e.moderated()
	msg := e.send(m1, ch, "before") // the gateway now trusts m1 for SendAuthTTL (off here: every send reads)

	_, err := e.svc.Mute(ctx, e.as(m1), ch, admin, time.Minute, "")
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "a plain member mutes nobody")
	_, err = e.svc.Mute(ctx, e.as(admin), ch, m1, 0, "")
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "a mute lasts a while")
	_, err = e.svc.Mute(ctx, e.as(admin), ch, "ghost", time.Minute, "")
	assert.ErrorIs(t, err, core.ErrNotFound)

	m, err := e.svc.Mute(ctx, e.as(admin), ch, m1, 10*time.Minute, "flooding")
	require.NoError(t, err)
	require.NotNil(t, m.MutedUntil)
	assert.Equal(t, e.clock.Now().Add(10*time.Minute), *m.MutedUntil)
	_, err = e.svc.Send(ctx, m1, chat.SendInput{ConversationID: ch, Body: "muted?"})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	assert.Contains(t, err.Error(), "muted")
	_, err = e.svc.Edit(ctx, m1, ch, msg.ID, "edited while muted")
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "a muted member does not edit either")
	_, err = e.svc.Send(ctx, owner, chat.SendInput{ConversationID: ch, Body: "others still talk"})
	require.NoError(t, err)

	e.clock.Advance(10 * time.Minute)
	e.send(m1, ch, "the mute ran out")
	_, err = e.svc.Mute(ctx, adminKey, ch, m1, time.Hour, "")
	require.NoError(t, err)
	got, err := e.svc.Unmute(ctx, adminKey, ch, m1)
	require.NoError(t, err)
	assert.Nil(t, got.MutedUntil)
	e.send(m1, ch, "unmuted")
}

func TestTheSequencerRefusesMutedSenders(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := core.SendState{Found: true, Conversation: core.Conversation{ID: "c"}, Members: map[string]bool{"u": true},
		MutedUntil: map[string]time.Time{"u": at.Add(time.Minute)}}
	results, events := chat.DecideSends(st, []core.SendCommand{
		{ID: "1", ConversationID: "c", SenderID: "u", ClientMsgID: "a", Body: "x", At: at},
		{ID: "2", ConversationID: "c", SenderID: "u", ClientMsgID: "b", Body: "x", At: at.Add(time.Minute)},
	})
	require.Len(t, results, 2)
	assert.ErrorIs(t, results[0].Err, core.ErrPermissionDenied, "sent while muted: a gateway that trusted a stale membership cannot let it in")
	assert.Nil(t, results[1].Err, "sent once the mute ended")
	assert.Len(t, events, 1)
}

func TestSlowMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ch, owner, admin, m1, m2 := e.moderated()

	_, err := e.svc.SetSlowMode(ctx, e.as(m1), ch, time.Minute)
	assert.ErrorIs(t, err, core.ErrPermissionDenied)
	_, err = e.svc.SetSlowMode(ctx, e.as(admin), ch, 7*time.Hour)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	conv, err := e.svc.SetSlowMode(ctx, e.as(admin), ch, 30*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, conv.SlowMode)

	first, err := e.svc.Send(ctx, m1, chat.SendInput{ConversationID: ch, ClientMsgID: "one", Body: "one"})
	require.NoError(t, err)
	_, err = e.svc.Send(ctx, m1, chat.SendInput{ConversationID: ch, Body: "two"})
	require.ErrorIs(t, err, core.ErrRateLimited)
	assert.Equal(t, 30*time.Second, core.AsError(err).RetryAfter)
	again, err := e.svc.Send(ctx, m1, chat.SendInput{ConversationID: ch, ClientMsgID: "one", Body: "one"})
	require.NoError(t, err, "a retry of a stored message is answered, slow mode or not")
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.Message.ID, again.Message.ID)
	e.send(m2, ch, "each member has their own turn")
	e.send(owner, ch, "owners are exempt")
	e.send(owner, ch, "owners are exempt, twice")
	e.send(admin, ch, "so are admins")
	e.send(admin, ch, "so are admins, twice")

	e.clock.Advance(30 * time.Second)
	e.send(m1, ch, "my turn again")
	_, err = e.svc.SetSlowMode(ctx, e.as(owner), ch, 0)
	require.NoError(t, err)
	e.send(m1, ch, "off")
	e.send(m1, ch, "off, twice")
}

func TestReportQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ch, owner, _, m1, m2 := e.moderated()
	bad := e.send(m2, ch, "something awful")

	_, err := e.svc.ReportMessage(ctx, m2, ch, bad.ID, "")
	assert.ErrorIs(t, err, core.ErrConflict, "not one's own")
	_, err = e.svc.ReportMessage(ctx, e.user("stranger"), ch, bad.ID, "")
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "members only")
	r, err := e.svc.ReportMessage(ctx, m1, ch, bad.ID, "abuse")
	require.NoError(t, err)
	assert.Equal(t, core.ReportOpen, r.Status)
	_, err = e.svc.ReportMessage(ctx, m1, ch, bad.ID, "again")
	assert.ErrorIs(t, err, core.ErrAlreadyExists)
	r2, err := e.svc.ReportMessage(ctx, owner, ch, bad.ID, "")
	require.NoError(t, err)

	_, err = e.svc.Reports(ctx, e.as(owner), core.ReportOpen, core.PageRequest{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied, "the queue is the system admins'")
	open, err := e.svc.Reports(ctx, adminKey, core.ReportOpen, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, open.Items, 2)
	assert.Equal(t, r.ID, open.Items[0].ID, "oldest first")

	_, err = e.svc.CloseReport(ctx, adminKey, r.ID, chat.CloseReportInput{Status: core.ReportDismissed, DeleteMessage: true})
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	closed, err := e.svc.CloseReport(ctx, adminKey, r.ID, chat.CloseReportInput{Status: core.ReportResolved, DeleteMessage: true, Note: "removed"})
	require.NoError(t, err)
	assert.Equal(t, core.ReportResolved, closed.Status)
	assert.Equal(t, &core.Actor{Type: core.ActorAPIKey, ID: "key-admin"}, closed.ResolvedBy)
	got, err := e.store.Message(ctx, ch, bad.ID)
	require.NoError(t, err)
	assert.True(t, got.Deleted(), "resolving deleted the message")
	_, err = e.svc.CloseReport(ctx, adminKey, r.ID, chat.CloseReportInput{Status: core.ReportDismissed})
	assert.ErrorIs(t, err, core.ErrConflict, "closed already")
	_, err = e.svc.CloseReport(ctx, adminKey, r2.ID, chat.CloseReportInput{Status: core.ReportDismissed})
	require.NoError(t, err)
	open, err = e.svc.Reports(ctx, adminKey, core.ReportOpen, core.PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, open.Items)
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob := e.user("alice"), e.user("bob")
	_, err := e.svc.AuditLog(ctx, e.as(alice), core.AuditQuery{}, core.PageRequest{})
	assert.ErrorIs(t, err, core.ErrPermissionDenied)

	yes := true
	u, err := e.svc.AdminUpdateUser(ctx, adminKey, alice, chat.AdminUpdateUserInput{Admin: &yes})
	require.NoError(t, err)
	assert.True(t, u.Admin)
	name := "Bob the Builder"
	u, err = e.svc.AdminUpdateUser(ctx, e.as(alice), bob, chat.AdminUpdateUserInput{DisplayName: &name})
	require.NoError(t, err, "an admin user uses the admin API as themselves")
	assert.Equal(t, name, u.DisplayName)
	no := false
	_, err = e.svc.AdminUpdateUser(ctx, e.as(alice), alice, chat.AdminUpdateUserInput{Admin: &no})
	assert.ErrorIs(t, err, core.ErrConflict, "an admin cannot take their own role")
	_, err = e.svc.AdminDeactivateUser(ctx, e.as(alice), alice)
	assert.ErrorIs(t, err, core.ErrConflict, "nor deactivate themselves")
	_, err = e.svc.AdminDeactivateUser(ctx, e.as(alice), bob)
	require.NoError(t, err)

	log, err := e.svc.AuditLog(ctx, e.as(alice), core.AuditQuery{TargetID: bob}, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, log.Items, 2)
	assert.Equal(t, chat.AuditUserDeactivate, log.Items[0].Action)
	assert.Equal(t, core.Actor{Type: core.ActorUser, ID: alice}, log.Items[0].Actor)
	assert.Equal(t, map[string]string{"displayName": name}, log.Items[1].Details)
	byKey, err := e.svc.AuditLog(ctx, e.as(alice), core.AuditQuery{ActorID: "key-admin"}, core.PageRequest{})
	require.NoError(t, err)
	require.Len(t, byKey.Items, 1)
	assert.Equal(t, map[string]string{"admin": "true"}, byKey.Items[0].Details)
}
