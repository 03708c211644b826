package porttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestMemberStore checks the ports.MemberStore contract. newStore must return empty stores.
func TestMemberStore(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("member lookup", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(1), "u1", "u2")
		m, err := f.s.Members.Member(f.ctx, "c1", "u1")
		require.NoError(t, err)
		assert.Equal(t, stNormMember(core.Member{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: stAt(1)}),
			stNormMember(m))
		_, err = f.s.Members.Member(f.ctx, "c1", "u3")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.s.Members.Member(f.ctx, "nope", "u1")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("members are paged by user id", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users := []string{"u07", "u03", "u11", "u01", "u05", "u09", "u02", "u12", "u04", "u10", "u06", "u08"}
		f.conv("c1", core.KindGroup, "Team", stAt(1), users...)
		f.conv("c2", core.KindGroup, "Other", stAt(1), "u99", "u00")
		for _, limit := range []int{1, 5, 12, 100} {
			got := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.Member], error) {
				return f.s.Members.Members(f.ctx, "c1", p)
			})
			require.Len(t, got, len(users), "limit %d", limit)
			for i, m := range got {
				assert.Equal(t, fmt.Sprintf("u%02d", i+1), m.UserID, "limit %d", limit)
				assert.Equal(t, "c1", m.ConversationID)
				want, err := f.s.Members.Member(f.ctx, "c1", m.UserID)
				require.NoError(t, err)
				assert.Equal(t, stNormMember(want), stNormMember(m))
			}
		}
		_, err := f.s.Members.Members(f.ctx, "c1", core.PageRequest{Cursor: "%%%", Limit: 5})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("member count", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(1), "u1", "u2", "u3", "u4")
		f.conv("c2", core.KindGroup, "Other", stAt(1), "u1", "u5")
		f.conv("empty", core.KindGroup, "Nobody", stAt(1))
		count := func(conv string) int {
			t.Helper()
			n, err := f.s.Members.MemberCount(f.ctx, conv)
			require.NoError(t, err)
			return n
		}
		assert.Equal(t, 4, count("c1"))
		assert.Equal(t, 2, count("c2"))
		assert.Zero(t, count("empty"))
		assert.Zero(t, count("nope"), "an unknown conversation")
		f.join("c1", "u6")
		assert.Equal(t, 5, count("c1"))
		f.next("c1", func(seq int64) core.Event {
			return stMemberEvent(core.EventMemberLeft, "c1", seq, "u2", core.Member{ConversationID: "c1", UserID: "u2"})
		})
		assert.Equal(t, 4, count("c1"), "after u2 left")
		assert.Equal(t, 2, count("c2"), "other conversations unchanged")
	})

	t.Run("conversation ids of a user", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(1), "u1", "u2")
		f.conv("c2", core.KindChannel, "B", stAt(2), "u2", "u1")
		f.conv("c3", core.KindGroup, "C", stAt(3), "u2")
		f.conv("d1", core.KindDirect, "", stAt(4), "u1", "u3")
		ids, err := f.s.Members.ConversationIDsOf(f.ctx, "u1")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"c1", "c2", "d1"}, ids)
		ids, err = f.s.Members.ConversationIDsOf(f.ctx, "u9")
		require.NoError(t, err)
		assert.Empty(t, ids)
	})

	t.Run("mark read only raises", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(1), "u1", "u2")
		for range 8 {
			f.send("c1", "u2", "hello")
		}
		for _, step := range []struct{ seq, want int64 }{{5, 5}, {3, 5}, {5, 5}, {7, 7}, {0, 7}} {
			got, err := f.s.Members.MarkRead(f.ctx, "c1", "u1", step.seq)
			require.NoError(t, err)
			assert.Equal(t, step.want, got, "MarkRead(%d)", step.seq)
		}
		m, err := f.s.Members.Member(f.ctx, "c1", "u1")
		require.NoError(t, err)
		assert.Equal(t, int64(7), m.ReadSeq)
		other, err := f.s.Members.Member(f.ctx, "c1", "u2")
		require.NoError(t, err)
		assert.Equal(t, int64(0), other.ReadSeq, "only the given member moves")
		_, err = f.s.Members.MarkRead(f.ctx, "c1", "u3", 1)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.s.Members.MarkRead(f.ctx, "nope", "u1", 1)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("conversations of a user: order and paging", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(1), "u1")
		f.conv("c2", core.KindChannel, "Two", stAt(2), "u2", "u1")
		f.conv("c3", core.KindDirect, "", stAt(3), "u1", "u2")
		f.conv("c4", core.KindGroup, "Four", stAt(4), "u1")
		f.conv("c5", core.KindGroup, "Five", stAt(4), "u1")
		f.conv("c6", core.KindGroup, "Six", stAt(4), "u1")
		f.conv("x1", core.KindGroup, "Not mine", stAt(50), "u2")
		stSendAt(f, "c1", "u1", "latest", stAt(60))
		stSendAt(f, "c3", "u2", "recent", stAt(55))
		// Most recently active first; equal LastActivityAt ordered by id, descending (the keyset order).
		want := []string{"c1", "c3", "c6", "c5", "c4", "c2"}
		for _, limit := range []int{1, 2, 4, 100} {
			got := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.Summary], error) {
				return f.s.Members.ConversationsOf(f.ctx, "u1", p)
			})
			ids := []string{}
			for _, s := range got {
				ids = append(ids, s.ID)
				conv, err := f.s.Conversations.Conversation(f.ctx, s.ID)
				require.NoError(t, err)
				assert.Equal(t, stNormConv(conv), stNormConv(s.Conversation))
				require.NotNil(t, s.Member)
				m, err := f.s.Members.Member(f.ctx, s.ID, "u1")
				require.NoError(t, err)
				assert.Equal(t, stNormMember(m), stNormMember(*s.Member))
			}
			assert.Equal(t, want, ids, "limit %d", limit)
		}
		p, err := f.s.Members.ConversationsOf(f.ctx, "u9", core.PageRequest{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
		assert.Empty(t, p.Next)
		_, err = f.s.Members.ConversationsOf(f.ctx, "u1", core.PageRequest{Cursor: "%%%", Limit: 5})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("conversations of a user: unread and last message", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(1), "u1", "u2", "u3")
		f.conv("empty", core.KindGroup, "Quiet", stAt(0), "u1")
		f.send("c1", "u2", "a")                   // 1
		f.send("c1", "u2", "b")                   // 2
		f.send("c1", "u1", "mine")                // 3
		f.send("c1", "u2", "c")                   // 4
		doomed := f.send("c1", "u3", "d")         // 5
		f.next("c1", func(seq int64) core.Event { // 6
			tomb := doomed
			tomb.Body, tomb.DeletedAt = "", stPtr(stAt(int(seq)))
			return stMsgEvent(core.EventMessageDeleted, seq, "u3", tomb)
		})
		f.next("c1", func(seq int64) core.Event { // 7: joins having read everything so far
			return stMemberEvent(core.EventMemberJoined, "c1", seq, "u4",
				core.Member{ConversationID: "c1", UserID: "u4", Role: core.RoleMember, ReadSeq: 7, JoinedAt: stAt(int(seq))})
		})
		last := f.send("c1", "u2", "e") // 8

		summary := func(user, conv string) core.Summary {
			t.Helper()
			for _, s := range stWalk(t, 100, func(p core.PageRequest) (core.Page[core.Summary], error) {
				return f.s.Members.ConversationsOf(f.ctx, user, p)
			}) {
				if s.ID == conv {
					one, err := f.s.Summaries.Summary(f.ctx, conv, user)
					require.NoError(t, err)
					assert.Equal(t, stNormSummary(s), stNormSummary(one), "Summary agrees with ConversationsOf")
					return s
				}
			}
			require.FailNow(t, "conversation not listed", "%s for %s", conv, user)
			return core.Summary{}
		}
		s := summary("u1", "c1")
		assert.Equal(t, int64(4), s.Unread, "others' live messages 1, 2, 4, 8")
		require.NotNil(t, s.LastMessage)
		assert.Equal(t, stNormMessage(last), stNormMessage(*s.LastMessage))
		assert.Equal(t, int64(8), s.LastSeq)
		assert.Equal(t, int64(1), summary("u2", "c1").Unread, "u1's message 3; u3's is deleted")
		assert.Equal(t, int64(1), summary("u4", "c1").Unread, "readSeq 7 from the join event")

		_, err := f.s.Members.MarkRead(f.ctx, "c1", "u1", 4)
		require.NoError(t, err)
		s = summary("u1", "c1")
		assert.Equal(t, int64(1), s.Unread)
		assert.Equal(t, int64(4), s.ReadSeq())
		_, err = f.s.Members.MarkRead(f.ctx, "c1", "u1", 8)
		require.NoError(t, err)
		assert.Equal(t, int64(0), summary("u1", "c1").Unread)

		e := summary("u1", "empty")
		assert.Nil(t, e.LastMessage)
		assert.Zero(t, e.Unread)

		_, err = f.s.Summaries.Summary(f.ctx, "c1", "u9")
		assert.ErrorIs(t, err, core.ErrNotFound, "not a member")
		_, err = f.s.Summaries.Summary(f.ctx, "nope", "u1")
		assert.ErrorIs(t, err, core.ErrNotFound, "no such conversation")
	})
}

// stSendAt appends a message.created event dated when.
func stSendAt(f stFixture, convID, sender, body string, when time.Time) core.Message {
	f.t.Helper()
	ev := f.next(convID, func(seq int64) core.Event {
		m := stMessage(convID, fmt.Sprintf("%s-m%03d", convID, seq), sender, body, seq)
		m.CreatedAt = when
		return stCreated(m)
	})
	return *ev.Message
}

func stPtr[T any](v T) *T { return &v }
