package porttest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// TestLedger checks the ports.Ledger and ports.LedgerTx contracts. newStore must return empty stores.
func TestLedger(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("message.created inserts the message", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m := stMessage("c1", "m1", "u1", "hello\nworld", 1)
		m.ReplyTo = "m0"
		m.CreatedAt = stAt(30)
		ev := stCreated(m)
		require.NoError(t, f.appendEvents(ev))
		got, err := f.s.History.Message(f.ctx, "c1", "m1")
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(m), stNormMessage(got))
		assert.Nil(t, got.EditedAt)
		assert.Nil(t, got.DeletedAt)
		got, err = f.s.History.MessageByClientMsgID(f.ctx, "c1", "u1", m.ClientMsgID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(m), stNormMessage(got))
		stAssertConv(f, "c1", 1, stAt(30))
		stAssertEvents(f, "c1", ev)
	})

	t.Run("message.created duplicates are already_exists and write nothing", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		f.conv("c2", core.KindGroup, "B", stAt(0), "u1")
		orig := stMessage("c1", "m1", "u1", "hi", 1)
		first := stCreated(orig)
		require.NoError(t, f.appendEvents(first))

		sameID := stMessage("c1", "m1", "u2", "other", 2)
		sameID.ClientMsgID = "fresh"
		sameKey := stMessage("c1", "m2", "u1", "other", 2)
		sameKey.ClientMsgID = orig.ClientMsgID
		sameIDElsewhere := stMessage("c2", "m1", "u1", "other", 1)
		sameIDElsewhere.ClientMsgID = "fresh"
		for name, ev := range map[string]core.Event{
			"same id": stCreated(sameID), "same sender and clientMsgId": stCreated(sameKey),
			"same id in another conversation": stCreated(sameIDElsewhere),
		} {
			assert.ErrorIs(t, f.appendEvents(ev), core.ErrAlreadyExists, name)
		}
		got, err := f.s.History.Message(f.ctx, "c1", "m1")
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(orig), stNormMessage(got))
		_, err = f.s.History.Message(f.ctx, "c1", "m2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		stAssertConv(f, "c1", 1, orig.CreatedAt)
		stAssertConv(f, "c2", 0, stAt(0))
		stAssertEvents(f, "c1", first)

		otherSender := stMessage("c1", "m3", "u2", "ok", 2)
		otherSender.ClientMsgID = orig.ClientMsgID
		otherConv := stMessage("c2", "m4", "u1", "ok", 1)
		otherConv.ClientMsgID = orig.ClientMsgID
		assert.NoError(t, f.appendEvents(stCreated(otherSender)), "clientMsgId is per sender")
		assert.NoError(t, f.appendEvents(stCreated(otherConv)), "clientMsgId is per conversation")
	})

	t.Run("message.edited and message.deleted replace the message", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m := f.send("c1", "u1", "typo")
		edited := m
		edited.Body, edited.EditedAt = "fixed", stPtr(stAt(2))
		editEv := stMsgEvent(core.EventMessageEdited, 2, "u1", edited)
		require.NoError(t, f.appendEvents(editEv))
		got, err := f.s.History.Message(f.ctx, "c1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(edited), stNormMessage(got))
		stAssertConv(f, "c1", 2, stAt(2))

		tomb := edited
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(3))
		delEv := stMsgEvent(core.EventMessageDeleted, 3, "u2", tomb)
		require.NoError(t, f.appendEvents(delEv))
		got, err = f.s.History.Message(f.ctx, "c1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(tomb), stNormMessage(got))
		assert.True(t, got.Deleted())
		got, err = f.s.History.MessageByClientMsgID(f.ctx, "c1", "u1", m.ClientMsgID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(tomb), stNormMessage(got), "a tombstone still dedupes its clientMsgId")
		stAssertConv(f, "c1", 3, stAt(3))
		stAssertEvents(f, "c1", stCreated(m), editEv, delEv)

		ghost := stMessage("c1", "ghost", "u1", "x", 1)
		assert.ErrorIs(t, f.appendEvents(stMsgEvent(core.EventMessageEdited, 4, "u1", ghost)), core.ErrNotFound,
			"editing a missing message")
		stAssertConv(f, "c1", 3, stAt(3))
	})

	t.Run("member events", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		joined := core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, ReadSeq: 0, JoinedAt: stAt(1)}
		joinEv := stMemberEvent(core.EventMemberJoined, "c1", 1, "u1", joined)
		require.NoError(t, f.appendEvents(joinEv))
		got, err := f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormMember(joined), stNormMember(got))
		ids, err := f.s.Members.ConversationIDsOf(f.ctx, "u2")
		require.NoError(t, err)
		assert.Equal(t, []string{"c1"}, ids)
		assert.ErrorIs(t, f.appendEvents(stMemberEvent(core.EventMemberJoined, "c1", 2, "u1", joined)),
			core.ErrAlreadyExists, "joining twice")

		_, err = f.s.Members.MarkRead(f.ctx, "c1", "u2", 1)
		require.NoError(t, err)
		promoted := joined
		promoted.Role, promoted.ReadSeq, promoted.JoinedAt = core.RoleAdmin, 0, stAt(99)
		updEv := stMemberEvent(core.EventMemberUpdated, "c1", 2, "u1", promoted)
		require.NoError(t, f.appendEvents(updEv))
		got, err = f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		want := joined
		want.Role, want.ReadSeq = core.RoleAdmin, 1
		assert.Equal(t, stNormMember(want), stNormMember(got), "member.updated changes only the role")

		leftEv := stMemberEvent(core.EventMemberLeft, "c1", 3, "u2", want)
		require.NoError(t, f.appendEvents(leftEv))
		_, err = f.s.Members.Member(f.ctx, "c1", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		ids, err = f.s.Members.ConversationIDsOf(f.ctx, "u2")
		require.NoError(t, err)
		assert.Empty(t, ids)
		stAssertConv(f, "c1", 3, stAt(3))
		stAssertEvents(f, "c1", joinEv, updEv, leftEv)

		for name, typ := range map[string]core.EventType{"update": core.EventMemberUpdated, "leave": core.EventMemberLeft} {
			err := f.appendEvents(stMemberEvent(typ, "c1", 4, "u1", core.Member{ConversationID: "c1", UserID: "u9", Role: core.RoleAdmin}))
			assert.ErrorIs(t, err, core.ErrNotFound, "%s of a non-member", name)
		}
		rejoin := joined
		rejoin.JoinedAt = stAt(4)
		require.NoError(t, f.appendEvents(stMemberEvent(core.EventMemberJoined, "c1", 4, "u2", rejoin)), "rejoin after leaving")
		got, err = f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormMember(rejoin), stNormMember(got))
	})

	t.Run("member.updated sets and clears a moderator's mute", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		first := f.send("c1", "u1", "hi")
		_, err := f.s.Members.MarkRead(f.ctx, "c1", "u2", 1)
		require.NoError(t, err)
		require.NoError(t, f.s.Members.SetNotifications(f.ctx, "c1", "u2", core.NotifyMentions, true))
		before, err := f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		require.Nil(t, before.MutedUntil, "members start unmuted")

		// Payloads carry neither the read position nor the notification settings, which stay as they are.
		payload := core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, JoinedAt: stAt(99),
			MutedUntil: stPtr(stAt(100))}
		muteEv := stMemberEvent(core.EventMemberUpdated, "c1", 2, "u1", payload)
		require.NoError(t, f.appendEvents(muteEv))
		muted := before
		muted.MutedUntil = stPtr(stAt(100))
		stAssertMember(f, muted, "muted, the rest kept")

		payload.Role, payload.MutedUntil = core.RoleAdmin, nil
		promoteEv := stMemberEvent(core.EventMemberUpdated, "c1", 3, "u1", payload)
		require.NoError(t, f.appendEvents(promoteEv))
		promoted := before
		promoted.Role = core.RoleAdmin
		stAssertMember(f, promoted, "an update without a mute clears it, and sets the role")

		// In one append: a member joins muted (the payload is stored as it is), a third joins and is muted,
		// the second's mute is set and changed.
		joinedMuted := core.Member{ConversationID: "c1", UserID: "u3", Role: core.RoleMember, JoinedAt: stAt(4),
			MutedUntil: stPtr(stAt(300))}
		joined := core.Member{ConversationID: "c1", UserID: "u4", Role: core.RoleMember, JoinedAt: stAt(5)}
		mutedU4 := joined
		mutedU4.MutedUntil = stPtr(stAt(400))
		again, changedAgain := payload, payload
		again.MutedUntil, changedAgain.MutedUntil = stPtr(stAt(200)), stPtr(stAt(250))
		evs := []core.Event{
			stMemberEvent(core.EventMemberJoined, "c1", 4, "u1", joinedMuted),
			stMemberEvent(core.EventMemberJoined, "c1", 5, "u1", joined),
			stMemberEvent(core.EventMemberUpdated, "c1", 6, "u1", again),
			stMemberEvent(core.EventMemberUpdated, "c1", 7, "u1", mutedU4),
			stMemberEvent(core.EventMemberUpdated, "c1", 8, "u1", changedAgain),
		}
		changed := promoted
		changed.MutedUntil = stPtr(stAt(250))
		require.NoError(t, f.appendEvents(evs...))
		stAssertMember(f, joinedMuted, "joined muted")
		stAssertMember(f, mutedU4, "joined, then muted in the same append")
		stAssertMember(f, changed, "the last update of the append wins")
		stAssertConv(f, "c1", 8, stAt(8))
		stAssertEvents(f, "c1", append([]core.Event{stCreated(first), muteEv, promoteEv}, evs...)...)
	})

	t.Run("slow mode is kept from creation and set by conversation.updated", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		c := core.Conversation{ID: "c1", Kind: core.KindChannel, Title: "Slow", CreatedBy: "u1", SlowMode: 30 * time.Second,
			CreatedAt: stAt(0), LastActivityAt: stAt(0)}
		got, created, err := f.s.Conversations.CreateConversation(f.ctx, c,
			[]core.Member{{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: stAt(0)}})
		require.NoError(t, err)
		require.True(t, created)
		assert.Equal(t, stNormConv(c), stNormConv(got))
		stAssertSlowMode(f, "c1", "u1", 30*time.Second, "from creation")

		changed := c
		changed.SlowMode = 6 * time.Hour
		setEv := stConvEvent(1, "u1", changed)
		require.NoError(t, f.appendEvents(setEv))
		stAssertSlowMode(f, "c1", "u1", 6*time.Hour, "set")
		changed.SlowMode = 0
		offEv := stConvEvent(2, "u1", changed)
		require.NoError(t, f.appendEvents(offEv))
		stAssertSlowMode(f, "c1", "u1", 0, "turned off")
		got, err = f.s.Conversations.Conversation(f.ctx, "c1")
		require.NoError(t, err)
		want := c
		want.SlowMode, want.LastSeq, want.LastActivityAt = 0, 2, stAt(2)
		assert.Equal(t, stNormConv(want), stNormConv(got), "nothing else changed")
		stAssertEvents(f, "c1", setEv, offEv)
	})

	t.Run("conversation.updated stores title, topic and slow mode only", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		orig := f.conv("c1", core.KindChannel, "Old name", stAt(0), "u1")
		changed := orig
		changed.Title, changed.Topic, changed.SlowMode = "New name", "a topic", time.Minute
		changed.Kind, changed.CreatedBy, changed.CreatedAt, changed.LastSeq = core.KindGroup, "mallory", stAt(50), 42
		ev := stConvEvent(1, "u1", changed)
		require.NoError(t, f.appendEvents(ev))
		got, err := f.s.Conversations.Conversation(f.ctx, "c1")
		require.NoError(t, err)
		want := orig
		want.Title, want.Topic, want.SlowMode, want.LastSeq, want.LastActivityAt = "New name", "a topic", time.Minute, 1, stAt(1)
		assert.Equal(t, stNormConv(want), stNormConv(got))
		stAssertEvents(f, "c1", ev)
		for q, n := range map[string]int{"new": 1, "old": 0} {
			p, err := f.s.Conversations.Channels(f.ctx, q, core.PageRequest{Limit: 10})
			require.NoError(t, err)
			assert.Len(t, p.Items, n, "channels matching %q", q)
		}
	})

	t.Run("one append of several events", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		c := f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		c.Title = "Renamed"
		evs := []core.Event{
			stCreated(stMessage("c1", "m1", "u1", "one", 1)),
			stMemberEvent(core.EventMemberJoined, "c1", 2, "u1", core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, JoinedAt: stAt(2)}),
			stCreated(stMessage("c1", "m3", "u2", "three", 3)),
			stConvEvent(4, "u1", c),
		}
		require.NoError(t, f.appendEvents(evs...))
		stAssertConv(f, "c1", 4, stAt(4))
		stAssertEvents(f, "c1", evs...)
		require.NoError(t, f.appendEvents(), "appending nothing is harmless")
		stAssertConv(f, "c1", 4, stAt(4))
	})

	t.Run("seqs must continue lastSeq densely", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		first := stCreated(stMessage("c1", "m1", "u1", "a", 1))
		second := stCreated(stMessage("c1", "m2", "u1", "b", 2))
		require.NoError(t, f.appendEvents(first, second))
		m := func(id string, seq int64) core.Event { return stCreated(stMessage("c1", id, "u1", "x", seq)) }
		for name, batch := range map[string][]core.Event{
			"gap":                {m("x4", 4)},
			"reused seq":         {m("x2", 2)},
			"old seq":            {m("x1", 1)},
			"zero seq":           {m("x0", 0)},
			"gap inside a batch": {m("x3", 3), m("x5", 5)},
			"repeat in a batch":  {m("x3", 3), m("x3b", 3)},
			"descending batch":   {m("x4", 4), m("x3", 3)},
		} {
			assert.ErrorIs(t, f.appendEvents(batch...), core.ErrConflict, name)
		}
		for _, id := range []string{"x0", "x1", "x2", "x3", "x3b", "x4", "x5"} {
			_, err := f.s.History.Message(f.ctx, "c1", id)
			assert.ErrorIs(t, err, core.ErrNotFound, "message %s written by a refused append", id)
		}
		stAssertConv(f, "c1", 2, stAt(2))
		stAssertEvents(f, "c1", first, second)
		require.NoError(t, f.appendEvents(m("x3", 3), m("x4", 4)))
		stAssertConv(f, "c1", 4, stAt(4))
	})

	t.Run("stored values do not alias the caller's", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		m := stMessage("c1", "m1", "u1", "original", 1)
		m.EditedAt = stPtr(stAt(1))
		ev := stCreated(m)
		require.NoError(t, f.appendEvents(ev))
		ev.Message.Body, *ev.Message.EditedAt = "mutated", stAt(99)
		got, err := f.s.History.Message(f.ctx, "c1", "m1")
		require.NoError(t, err)
		assert.Equal(t, "original", got.Body)
		assert.Equal(t, stMS(stAt(1)), stMS(*got.EditedAt))
		*got.EditedAt = stAt(99)
		evs, _, err := f.s.History.Events(f.ctx, "c1", 0, 10)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, "original", evs[0].Message.Body)
		evs[0].Message.Body = "mutated"
		again, err := f.s.History.Message(f.ctx, "c1", "m1")
		require.NoError(t, err)
		assert.Equal(t, stMS(stAt(1)), stMS(*again.EditedAt))
		evs, _, err = f.s.History.Events(f.ctx, "c1", 0, 10)
		require.NoError(t, err)
		assert.Equal(t, "original", evs[0].Message.Body)
	})

	t.Run("append to a missing conversation is not_found", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		err := f.appendEvents(stCreated(stMessage("nope", "m1", "u1", "a", 1)))
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	testLedgerTx(t, newStore)
}

// stAssertConv checks a conversation's lastSeq and LastActivityAt outside any transaction.
func stAssertConv(f stFixture, convID string, lastSeq int64, activity time.Time) {
	f.t.Helper()
	c, err := f.s.Conversations.Conversation(f.ctx, convID)
	require.NoError(f.t, err)
	assert.Equal(f.t, lastSeq, c.LastSeq, "lastSeq of %s", convID)
	assert.Equal(f.t, stMS(activity), stMS(c.LastActivityAt), "LastActivityAt of %s", convID)
}

// stAssertMember checks a membership as every read of it shows it: Member, Members, Summary and, inside a
// ledger transaction, LedgerTx.Member.
func stAssertMember(f stFixture, want core.Member, msg string) {
	f.t.Helper()
	want = stNormMember(want)
	got, err := f.s.Members.Member(f.ctx, want.ConversationID, want.UserID)
	require.NoError(f.t, err, msg)
	assert.Equal(f.t, want, stNormMember(got), "Member: %s", msg)
	found := false
	for _, m := range stWalk(f.t, 100, func(p core.PageRequest) (core.Page[core.Member], error) {
		return f.s.Members.Members(f.ctx, want.ConversationID, p)
	}) {
		if m.UserID == want.UserID {
			found = true
			assert.Equal(f.t, want, stNormMember(m), "Members: %s", msg)
		}
	}
	assert.True(f.t, found, "Members lists %s: %s", want.UserID, msg)
	sum, err := f.s.Summaries.Summary(f.ctx, want.ConversationID, want.UserID)
	require.NoError(f.t, err, msg)
	require.NotNil(f.t, sum.Member, msg)
	assert.Equal(f.t, want, stNormMember(*sum.Member), "Summary: %s", msg)
	require.NoError(f.t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
		got, err := tx.Member(ctx, want.ConversationID, want.UserID)
		require.NoError(f.t, err, msg)
		assert.Equal(f.t, want, stNormMember(got), "LedgerTx.Member: %s", msg)
		return nil
	}))
}

// stAssertSlowMode checks a conversation's slow mode as every read of it shows it, member a member of it.
func stAssertSlowMode(f stFixture, convID, member string, want time.Duration, msg string) {
	f.t.Helper()
	c, err := f.s.Conversations.Conversation(f.ctx, convID)
	require.NoError(f.t, err, msg)
	assert.Equal(f.t, want, c.SlowMode, "Conversation: %s", msg)
	p, err := f.s.Conversations.Channels(f.ctx, "", core.PageRequest{Limit: 100})
	require.NoError(f.t, err, msg)
	for _, ch := range p.Items {
		if ch.ID == convID {
			assert.Equal(f.t, want, ch.SlowMode, "Channels: %s", msg)
		}
	}
	sum, err := f.s.Summaries.Summary(f.ctx, convID, member)
	require.NoError(f.t, err, msg)
	assert.Equal(f.t, want, sum.SlowMode, "Summary: %s", msg)
	page, err := f.s.Members.ConversationsOf(f.ctx, member, core.PageRequest{Limit: 100})
	require.NoError(f.t, err, msg)
	for _, s := range page.Items {
		if s.ID == convID {
			assert.Equal(f.t, want, s.SlowMode, "ConversationsOf: %s", msg)
		}
	}
	require.NoError(f.t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
		c, err := tx.Conversation(ctx, convID)
		require.NoError(f.t, err, msg)
		assert.Equal(f.t, want, c.SlowMode, "LedgerTx.Conversation: %s", msg)
		sts, err := tx.LoadSends(ctx, []ports.SendReads{{ConversationID: convID, Senders: []string{member}}})
		require.NoError(f.t, err, msg)
		require.Len(f.t, sts, 1)
		assert.Equal(f.t, want, sts[0].Conversation.SlowMode, "LoadSends: %s", msg)
		return nil
	}))
}

// stAssertEvents checks that the conversation's events are exactly want.
func stAssertEvents(f stFixture, convID string, want ...core.Event) {
	f.t.Helper()
	got, more, err := f.s.History.Events(f.ctx, convID, 0, len(want)+10)
	require.NoError(f.t, err)
	assert.False(f.t, more)
	assert.Equal(f.t, stNormEvents(want), stNormEvents(got), "events of %s", convID)
}
