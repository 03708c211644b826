package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// These cases go beyond the contract suite: one Append folds several changes to the same message or member
// into one statement per table, and must give the result (or the error) of applying them in seq order.

var foldEpoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func foldAt(i int64) time.Time { return foldEpoch.Add(time.Duration(i) * time.Second) }

func foldMsg(id, sender string, seq int64) core.Message {
	return core.Message{ID: id, ConversationID: "c1", Seq: seq, SenderID: sender, ClientMsgID: "k-" + id, Body: "body " + id,
		CreatedAt: foldAt(seq)}
}

func created(m core.Message) core.Event {
	return core.Event{ConversationID: "c1", Seq: m.Seq, Type: core.EventMessageCreated, At: m.CreatedAt, ActorID: m.SenderID, Message: &m}
}

func msgEvent(typ core.EventType, seq int64, m core.Message) core.Event {
	return core.Event{ConversationID: "c1", Seq: seq, Type: typ, At: foldAt(seq), ActorID: m.SenderID, Message: &m}
}

func memberEvent(typ core.EventType, seq int64, user string, role core.Role, readSeq int64) core.Event {
	m := core.Member{ConversationID: "c1", UserID: user, Role: role, ReadSeq: readSeq, JoinedAt: foldAt(seq)}
	return core.Event{ConversationID: "c1", Seq: seq, Type: typ, At: foldAt(seq), ActorID: user, Member: &m}
}

// foldStore returns a store with conversation c1 (owner u1, member u2) and message m0 at seq 1.
func foldStore(t *testing.T) (*Store, core.Message) {
	t.Helper()
	s := newTestStore(t)
	ctx := context.Background()
	_, _, err := s.CreateConversation(ctx, core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "T", CreatedBy: "u1",
		CreatedAt: foldEpoch, LastActivityAt: foldEpoch}, []core.Member{
		{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: foldEpoch},
		{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, ReadSeq: 1, JoinedAt: foldEpoch},
	})
	require.NoError(t, err)
	m0 := foldMsg("m0", "u1", 1)
	require.NoError(t, appendAll(s, created(m0)))
	return s, m0
}

func appendAll(s *Store, events ...core.Event) error {
	return s.Update(context.Background(), func(ctx context.Context, tx ports.LedgerTx) error { return tx.Append(ctx, events...) })
}

func TestAppendFoldsChangesToOneRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, m0 := foldStore(t)
	m1 := foldMsg("m1", "u2", 2)
	m1edited := m1
	m1edited.Body, m1edited.EditedAt = "edited", new(foldAt(3))
	m0deleted := m0
	m0deleted.Body, m0deleted.DeletedAt = "", new(foldAt(5))
	m0undeleted := m0deleted // a later replace of the same message wins
	m0undeleted.Body = "restored"
	require.NoError(t, appendAll(s,
		created(m1), msgEvent(core.EventMessageEdited, 3, m1edited), // 2, 3: create then edit
		msgEvent(core.EventMessageEdited, 4, m0), msgEvent(core.EventMessageDeleted, 5, m0deleted), // 4, 5
		msgEvent(core.EventMessageEdited, 6, m0undeleted),                // 6
		memberEvent(core.EventMemberJoined, 7, "u3", core.RoleMember, 0), // 7..9: join, promote, leave
		memberEvent(core.EventMemberUpdated, 8, "u3", core.RoleAdmin, 0),
		memberEvent(core.EventMemberLeft, 9, "u3", core.RoleAdmin, 0),
		memberEvent(core.EventMemberJoined, 10, "u4", core.RoleMember, 0), // 10, 11: join, promote
		memberEvent(core.EventMemberUpdated, 11, "u4", core.RoleAdmin, 0),
		memberEvent(core.EventMemberLeft, 12, "u2", core.RoleMember, 0), // 12, 13: leave, rejoin
		memberEvent(core.EventMemberJoined, 13, "u2", core.RoleMember, 13),
		memberEvent(core.EventMemberUpdated, 14, "u1", core.RoleAdmin, 0), // 14: update only
	))
	got, err := s.Message(ctx, "c1", "m1")
	require.NoError(t, err)
	assert.Equal(t, m1edited, got)
	got, err = s.Message(ctx, "c1", "m0")
	require.NoError(t, err)
	assert.Equal(t, m0undeleted, got)
	_, err = s.Member(ctx, "c1", "u3")
	assert.ErrorIs(t, err, core.ErrNotFound)
	for user, want := range map[string]core.Member{
		"u4": {ConversationID: "c1", UserID: "u4", Role: core.RoleAdmin, JoinedAt: foldAt(10), Notify: core.NotifyAll},
		"u2": {ConversationID: "c1", UserID: "u2", Role: core.RoleMember, ReadSeq: 13, JoinedAt: foldAt(13), Notify: core.NotifyAll},
		"u1": {ConversationID: "c1", UserID: "u1", Role: core.RoleAdmin, JoinedAt: foldEpoch, Notify: core.NotifyAll},
	} {
		m, err := s.Member(ctx, "c1", user)
		require.NoError(t, err)
		assert.Equal(t, want, m, user)
	}
	evs, more, err := s.Events(ctx, "c1", 1, 100)
	require.NoError(t, err)
	assert.False(t, more)
	require.Len(t, evs, 13)
	assert.Equal(t, m1edited, *evs[1].Message, "an event's message keeps the stored precision")
	c, err := s.Conversation(ctx, "c1")
	require.NoError(t, err)
	assert.Equal(t, int64(14), c.LastSeq)
	assert.Equal(t, foldAt(14), c.LastActivityAt)
}

// A moderator's mute folds like the role: the last update of a stored membership wins, and a member who leaves
// and joins again within the Append has the joining payload's.
func TestAppendFoldsMutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := foldStore(t)
	muted := func(e core.Event, until *time.Time) core.Event {
		m := *e.Member
		m.MutedUntil = until
		e.Member = &m
		return e
	}
	require.NoError(t, appendAll(s,
		muted(memberEvent(core.EventMemberUpdated, 2, "u1", core.RoleOwner, 0), new(foldAt(100))), // 2, 3: mute, unmute
		memberEvent(core.EventMemberUpdated, 3, "u1", core.RoleOwner, 0),
		muted(memberEvent(core.EventMemberUpdated, 4, "u2", core.RoleMember, 0), new(foldAt(200))), // 4..6: mute, leave, join muted
		memberEvent(core.EventMemberLeft, 5, "u2", core.RoleMember, 0),
		muted(memberEvent(core.EventMemberJoined, 6, "u2", core.RoleMember, 6), new(foldAt(300))),
		memberEvent(core.EventMemberJoined, 7, "u5", core.RoleMember, 0), // 7, 8: join, mute
		muted(memberEvent(core.EventMemberUpdated, 8, "u5", core.RoleAdmin, 0), new(foldAt(400))),
	))
	for user, want := range map[string]*time.Time{"u1": nil, "u2": new(foldAt(300)), "u5": new(foldAt(400))} {
		m, err := s.Member(ctx, "c1", user)
		require.NoError(t, err)
		assert.Equal(t, want, m.MutedUntil, user)
	}
}

func TestAppendFoldedErrorsFollowSeqOrder(t *testing.T) {
	t.Parallel()
	s, m0 := foldStore(t)
	ghost := foldMsg("ghost", "u1", 2)
	for name, tc := range map[string]struct {
		events []core.Event
		want   error
	}{
		"join then leave of a member": {[]core.Event{
			memberEvent(core.EventMemberJoined, 2, "u2", core.RoleMember, 0),
			memberEvent(core.EventMemberLeft, 3, "u2", core.RoleMember, 0)}, core.ErrAlreadyExists},
		"leave then join of a non-member": {[]core.Event{
			memberEvent(core.EventMemberLeft, 2, "u9", core.RoleMember, 0),
			memberEvent(core.EventMemberJoined, 3, "u9", core.RoleMember, 0)}, core.ErrNotFound},
		"update of a non-member": {[]core.Event{
			memberEvent(core.EventMemberUpdated, 2, "u9", core.RoleAdmin, 0)}, core.ErrNotFound},
		"leave twice": {[]core.Event{
			memberEvent(core.EventMemberLeft, 2, "u2", core.RoleMember, 0),
			memberEvent(core.EventMemberLeft, 3, "u2", core.RoleMember, 0)}, core.ErrNotFound},
		"join twice": {[]core.Event{
			memberEvent(core.EventMemberJoined, 2, "u7", core.RoleMember, 0),
			memberEvent(core.EventMemberJoined, 3, "u7", core.RoleMember, 0)}, core.ErrAlreadyExists},
		"edit then create of a missing message": {[]core.Event{
			msgEvent(core.EventMessageEdited, 2, ghost), created(foldMsg("ghost", "u1", 3))}, core.ErrNotFound},
		"edit then create of a stored message": {[]core.Event{
			msgEvent(core.EventMessageEdited, 2, m0), created(foldMsg("m0", "u1", 3))}, core.ErrAlreadyExists},
		"same clientMsgId twice in one batch": {[]core.Event{
			created(foldMsg("a", "u1", 2)), created(core.Message{ID: "b", SenderID: "u1", ClientMsgID: "k-a", CreatedAt: foldAt(3), Seq: 3})},
			core.ErrAlreadyExists},
		"message payload missing": {[]core.Event{{ConversationID: "c1", Seq: 2, Type: core.EventMessageCreated}},
			core.ErrInvalidArgument},
		"unknown type": {[]core.Event{{ConversationID: "c1", Seq: 2, Type: "message.liked"}}, core.ErrInvalidArgument},
		"a second conversation that does not exist": {[]core.Event{created(foldMsg("x", "u1", 2)),
			{ConversationID: "c2", Seq: 1, Type: core.EventMessageCreated, Message: new(foldMsg("y", "u1", 1))}},
			core.ErrNotFound},
	} {
		assert.ErrorIs(t, appendAll(s, tc.events...), tc.want, name)
	}
	// Nothing of the refused appends was written.
	evs, _, err := s.Events(context.Background(), "c1", 0, 100)
	require.NoError(t, err)
	assert.Len(t, evs, 1)
	m, err := s.Member(context.Background(), "c1", "u2")
	require.NoError(t, err)
	assert.Equal(t, int64(1), m.ReadSeq)
	_, err = s.Member(context.Background(), "c1", "u7")
	assert.ErrorIs(t, err, core.ErrNotFound)
}
