package porttest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// sendMentioning appends a message.created that mentions ids (and all) and returns the message.
func (f stFixture) sendMentioning(convID, sender, body, all string, ids ...string) core.Message {
	f.t.Helper()
	ev := f.next(convID, func(seq int64) core.Event {
		m := stMessage(convID, fmt.Sprintf("%s-m%03d", convID, seq), sender, body, seq)
		m.Mentions, m.MentionAll = ids, all
		return stCreated(m)
	})
	return *ev.Message
}

// TestMentions checks the unread-mention counts of summaries, MemberStore.SetNotifications and
// HistoryStore.MentionsOf.
func TestMentions(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("unread mentions stay exact across edits, deletes and read marks", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindChannel, "Town", stAt(0), "u1", "u2", "u3")
		count := func(user string) (unread, mentions int64) {
			t.Helper()
			s, err := f.s.Summaries.Summary(f.ctx, "c1", user)
			require.NoError(t, err)
			page, err := f.s.Members.ConversationsOf(f.ctx, user, core.PageRequest{})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			assert.Equal(t, s.Mentions, page.Items[0].Mentions, "Summary and ConversationsOf agree")
			return s.Unread, s.Mentions
		}
		a := f.sendMentioning("c1", "u1", "hi @u2", "", "u2")
		f.sendMentioning("c1", "u1", "hi @u2 and @u3", "", "u2", "u3")
		f.sendMentioning("c1", "u2", "hi @u2 myself", "", "u2") // one's own messages never count
		all := f.sendMentioning("c1", "u3", "@channel look", core.MentionChannel)
		f.send("c1", "u1", "no mention")
		u, m := count("u2")
		assert.Equal(t, [2]int64{4, 3}, [2]int64{u, m})
		_, m = count("u3")
		assert.Equal(t, int64(1), m, "its own @channel does not count for u3")
		_, m = count("u1")
		assert.Equal(t, int64(1), m, "@channel mentions every member")

		// An edit that drops the mention, and a delete, take them out of the count; an edit that adds one adds.
		edited := a
		edited.Body, edited.Mentions, edited.EditedAt = "hi all", nil, stPtr(stAt(50))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageEdited, seq, "u1", edited) })
		_, m = count("u2")
		assert.Equal(t, int64(2), m)
		tomb := all
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(51))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u3", tomb) })
		_, m = count("u2")
		assert.Equal(t, int64(1), m)
		_, m = count("u1")
		assert.Equal(t, int64(0), m)
		edited.Body, edited.Mentions, edited.EditedAt = "hi @u1 @u2", []string{"u1", "u2"}, stPtr(stAt(52))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageEdited, seq, "u1", edited) })
		_, m = count("u2")
		assert.Equal(t, int64(2), m)
		stored, err := f.s.History.Message(f.ctx, "c1", a.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"u1", "u2"}, stored.Mentions, "the message keeps its mention list")

		// Read marks: mentions at or before the read position no longer count.
		_, err = f.s.Members.MarkRead(f.ctx, "c1", "u2", a.Seq)
		require.NoError(t, err)
		_, m = count("u2")
		assert.Equal(t, int64(1), m)
		_, err = f.s.Members.MarkRead(f.ctx, "c1", "u2", 100)
		require.NoError(t, err)
		u, m = count("u2")
		assert.Equal(t, [2]int64{0, 0}, [2]int64{u, m})
	})

	t.Run("notification settings start at all, unmuted, and belong to members", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		s, err := f.s.Summaries.Summary(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, core.NotifyAll, s.Member.Notify)
		assert.False(t, s.Member.Muted)
		require.NoError(t, f.s.Members.SetNotifications(f.ctx, "c1", "u2", core.NotifyMentions, true))
		s, err = f.s.Summaries.Summary(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, core.NotifyMentions, s.Member.Notify)
		assert.True(t, s.Member.Muted)
		m, err := f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, core.NotifyMentions, m.Notify)
		other, err := f.s.Summaries.Summary(f.ctx, "c1", "u1")
		require.NoError(t, err)
		assert.Equal(t, core.NotifyAll, other.Member.Notify, "settings are per member")
		// A role change keeps the settings.
		f.next("c1", func(seq int64) core.Event {
			return stMemberEvent(core.EventMemberUpdated, "c1", seq, "u1", core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleAdmin})
		})
		m, err = f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, core.RoleAdmin, m.Role)
		assert.Equal(t, core.NotifyMentions, m.Notify)
		assert.True(t, m.Muted)
		assert.ErrorIs(t, f.s.Members.SetNotifications(f.ctx, "c1", "u9", core.NotifyNone, false), core.ErrNotFound)
	})

	t.Run("MentionsOf lists mentions in one's conversations, newest first, paged", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(0), "u1", "u2")
		f.conv("c2", core.KindChannel, "B", stAt(0), "u1", "u2")
		f.conv("c3", core.KindGroup, "C", stAt(0), "u1", "u3") // u2 is not a member
		var want []core.Message
		for i := range 3 {
			want = append(want, f.sendMentioning("c1", "u1", fmt.Sprint("@u2 ", i), "", "u2"))
			want = append(want, f.sendMentioning("c2", "u1", fmt.Sprint("@channel ", i), core.MentionChannel))
			f.sendMentioning("c3", "u1", "@u2 is not here", "", "u2")
			f.sendMentioning("c1", "u2", "@u2 my own", "", "u2")
			f.send("c1", "u1", "plain")
		}
		gone := f.sendMentioning("c1", "u1", "@u2 deleted", "", "u2")
		tomb := gone
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(99))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u1", tomb) })

		got := stWalk(t, 2, func(p core.PageRequest) (core.Page[core.Message], error) {
			return f.s.History.MentionsOf(f.ctx, "u2", p)
		})
		// Newest first: by creation time (stAt(seq)), then id. Within a conversation, later seqs are newer.
		expect := make([]core.Message, len(want))
		for i, m := range want {
			expect[len(want)-1-i] = m
		}
		byTime := func(ms []core.Message) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		assert.ElementsMatch(t, byTime(expect), byTime(got))
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			assert.True(t, a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID,
				"newest first: %s before %s", a.ID, b.ID)
		}
		none, err := f.s.History.MentionsOf(f.ctx, "u9", core.PageRequest{})
		require.NoError(t, err)
		assert.Empty(t, none.Items)
	})
}
