package porttest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// reply appends a reply in root's thread and returns it.
func (f stFixture) reply(convID, root, sender, body string) core.Message {
	f.t.Helper()
	ev := f.next(convID, func(seq int64) core.Event {
		m := stMessage(convID, fmt.Sprintf("%s-r%03d", convID, seq), sender, body, seq)
		m.ThreadRootID = root
		return stCreated(m)
	})
	return *ev.Message
}

// TestThreads checks thread replies in history, HistoryStore.Threads, the conversation's unread count and the
// ThreadStore.
func TestThreads(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("replies page by seq in their thread and stay out of the conversation's history and unread count", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2", "u3")
		root := f.send("c1", "u1", "root")
		other := f.send("c1", "u2", "another root")
		var replies []core.Message
		for i := range 5 {
			replies = append(replies, f.reply("c1", root.ID, []string{"u2", "u3"}[i%2], fmt.Sprint("re ", i)))
			f.send("c1", "u1", fmt.Sprint("top ", i))
		}
		top, more, err := f.s.History.Messages(f.ctx, "c1", core.HistoryQuery{Limit: 100})
		require.NoError(t, err)
		assert.False(t, more)
		assert.Len(t, top, 7, "top-level messages only")
		for _, m := range top {
			assert.Empty(t, m.ThreadRootID)
		}
		page, more, err := f.s.History.Messages(f.ctx, "c1", core.HistoryQuery{ThreadRootID: root.ID, Limit: 2})
		require.NoError(t, err)
		assert.True(t, more)
		assert.Equal(t, stNormMessages(replies[3:]), stNormMessages(page), "the latest replies")
		page, more, err = f.s.History.Messages(f.ctx, "c1", core.HistoryQuery{ThreadRootID: root.ID, Forward: true, Limit: 3})
		require.NoError(t, err)
		assert.True(t, more)
		assert.Equal(t, stNormMessages(replies[:3]), stNormMessages(page))
		page, _, err = f.s.History.Messages(f.ctx, "c1", core.HistoryQuery{ThreadRootID: root.ID, After: replies[2].Seq, Limit: 10})
		require.NoError(t, err)
		assert.Equal(t, stNormMessages(replies[3:]), stNormMessages(page))
		stored, err := f.s.History.Message(f.ctx, "c1", replies[0].ID)
		require.NoError(t, err)
		assert.Equal(t, root.ID, stored.ThreadRootID)

		s, err := f.s.Summaries.Summary(f.ctx, "c1", "u3")
		require.NoError(t, err)
		assert.Equal(t, int64(7), s.Unread, "thread replies are not unread in the conversation")

		tomb := replies[4]
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(90))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u2", tomb) })
		info, err := f.s.History.Threads(f.ctx, "c1", []string{root.ID, other.ID, "nope"})
		require.NoError(t, err)
		require.Contains(t, info, root.ID)
		assert.NotContains(t, info, other.ID, "no replies: absent")
		got := info[root.ID]
		assert.Equal(t, 4, got.ReplyCount, "the deleted reply does not count")
		assert.Equal(t, stMS(replies[3].CreatedAt), stMS(got.LastReplyAt))
		assert.Equal(t, []string{"u2", "u3"}, got.Participants)
		info, err = f.s.History.Threads(f.ctx, "c2", []string{root.ID})
		require.NoError(t, err)
		assert.Empty(t, info, "threads are read within their conversation")
	})

	t.Run("following, read positions and the followed threads", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		f.conv("c2", core.KindGroup, "Other", stAt(0), "u1", "u3")
		quiet := f.send("c1", "u1", "quiet root")
		busy := f.send("c1", "u2", "busy root")
		elsewhere := f.send("c2", "u3", "not u2's")

		st, err := f.s.Threads.ThreadState(f.ctx, "c1", busy.ID, "u1")
		require.NoError(t, err)
		assert.Equal(t, core.ThreadState{}, st)
		require.NoError(t, f.s.Threads.Follow(f.ctx, "c1", busy.ID, "u1", false))
		require.NoError(t, f.s.Threads.Follow(f.ctx, "c1", quiet.ID, "u1", true))
		require.NoError(t, f.s.Threads.Follow(f.ctx, "c2", elsewhere.ID, "u1", true))
		r1 := f.reply("c1", busy.ID, "u2", "one")
		f.reply("c1", busy.ID, "u1", "mine")
		f.reply("c1", busy.ID, "u2", "two")

		threads := stWalk(t, 1, func(p core.PageRequest) (core.Page[core.ThreadSummary], error) {
			return f.s.Threads.FollowedThreads(f.ctx, "u1", p)
		})
		require.Len(t, threads, 3)
		assert.Equal(t, busy.ID, threads[0].Root.ID, "the latest reply first")
		assert.Equal(t, int64(2), threads[0].Unread, "replies by others after the read position")
		assert.Equal(t, 3, threads[0].Info.ReplyCount)
		assert.Equal(t, []string{"u1", "u2"}, threads[0].Info.Participants)
		assert.True(t, threads[0].Following)
		assert.Equal(t, []string{elsewhere.ID, quiet.ID}, []string{threads[1].Root.ID, threads[2].Root.ID},
			"then by the root's creation")
		assert.Equal(t, 0, threads[2].Info.ReplyCount)

		read, err := f.s.Threads.MarkThreadRead(f.ctx, "c1", busy.ID, "u1", r1.Seq)
		require.NoError(t, err)
		assert.Equal(t, r1.Seq, read)
		read, err = f.s.Threads.MarkThreadRead(f.ctx, "c1", busy.ID, "u1", 1)
		require.NoError(t, err)
		assert.Equal(t, r1.Seq, read, "never backwards")
		threads = stWalk(t, 10, func(p core.PageRequest) (core.Page[core.ThreadSummary], error) {
			return f.s.Threads.FollowedThreads(f.ctx, "u1", p)
		})
		assert.Equal(t, int64(1), threads[0].Unread)
		n, err := f.s.Threads.UnreadThreads(f.ctx, "u1")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		n, err = f.s.Threads.UnreadThreads(f.ctx, "u2")
		require.NoError(t, err)
		assert.Equal(t, 0, n, "u2 follows nothing")

		// An automatic follow does not undo an unfollow; an explicit one does; reading keeps the choice.
		require.NoError(t, f.s.Threads.Unfollow(f.ctx, "c1", busy.ID, "u1"))
		require.NoError(t, f.s.Threads.Follow(f.ctx, "c1", busy.ID, "u1", false))
		st, err = f.s.Threads.ThreadState(f.ctx, "c1", busy.ID, "u1")
		require.NoError(t, err)
		assert.Equal(t, core.ThreadState{Following: false, ReadSeq: r1.Seq}, st)
		_, err = f.s.Threads.MarkThreadRead(f.ctx, "c1", busy.ID, "u1", r1.Seq+1)
		require.NoError(t, err)
		st, err = f.s.Threads.ThreadState(f.ctx, "c1", busy.ID, "u1")
		require.NoError(t, err)
		assert.False(t, st.Following)
		require.NoError(t, f.s.Threads.Follow(f.ctx, "c1", busy.ID, "u1", true))
		st, err = f.s.Threads.ThreadState(f.ctx, "c1", busy.ID, "u1")
		require.NoError(t, err)
		assert.Equal(t, core.ThreadState{Following: true, ReadSeq: r1.Seq + 1}, st)

		// Followed threads of conversations one has left are not listed.
		f.next("c2", func(seq int64) core.Event {
			return stMemberEvent(core.EventMemberLeft, "c2", seq, "u1", core.Member{ConversationID: "c2", UserID: "u1", Role: core.RoleMember})
		})
		threads = stWalk(t, 10, func(p core.PageRequest) (core.Page[core.ThreadSummary], error) {
			return f.s.Threads.FollowedThreads(f.ctx, "u1", p)
		})
		assert.Len(t, threads, 2)
	})
}
