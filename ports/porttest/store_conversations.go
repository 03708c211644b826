package porttest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestConversationStore checks the ports.ConversationStore contract. newStore must return empty stores.
func TestConversationStore(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("create and read back exactly", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		c := core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "Team", Topic: "plans", CreatedBy: "u1",
			CreatedAt: stAt(1), LastActivityAt: stAt(2)}
		members := []core.Member{
			{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: stAt(1)},
			{ConversationID: "c1", UserID: "u2", Role: core.RoleAdmin, ReadSeq: 0, JoinedAt: stAt(1)},
			{ConversationID: "c1", UserID: "u3", Role: core.RoleMember, JoinedAt: stAt(1)},
		}
		got, created, err := f.s.Conversations.CreateConversation(f.ctx, c, members)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, stNormConv(c), stNormConv(got))
		got, err = f.s.Conversations.Conversation(f.ctx, "c1")
		require.NoError(t, err)
		assert.Equal(t, stNormConv(c), stNormConv(got))
		for _, m := range members {
			gm, err := f.s.Members.Member(f.ctx, "c1", m.UserID)
			require.NoError(t, err)
			assert.Equal(t, stNormMember(m), stNormMember(gm))
		}
		evs, more, err := f.s.History.Events(f.ctx, "c1", 0, 10)
		require.NoError(t, err)
		assert.Empty(t, evs, "creating a conversation writes no events")
		assert.False(t, more)
	})

	t.Run("taken id is already_exists and stores nothing", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		orig := f.conv("c1", core.KindGroup, "First", stAt(1), "u1")
		dup := core.Conversation{ID: "c1", Kind: core.KindChannel, Title: "Second", CreatedAt: stAt(2), LastActivityAt: stAt(2)}
		_, _, err := f.s.Conversations.CreateConversation(f.ctx, dup,
			[]core.Member{{ConversationID: "c1", UserID: "u2", Role: core.RoleOwner, JoinedAt: stAt(2)}})
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		got, err := f.s.Conversations.Conversation(f.ctx, "c1")
		require.NoError(t, err)
		assert.Equal(t, stNormConv(orig), stNormConv(got))
		_, err = f.s.Members.Member(f.ctx, "c1", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound, "the failed create's members must not be stored")
	})

	t.Run("missing conversation is not_found", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		_, err := f.s.Conversations.Conversation(f.ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("direct conversation is deduplicated by DirectKey", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		d1 := f.conv("d1", core.KindDirect, "", stAt(1), "u1", "u2")
		f.send("d1", "u1", "hi")
		again := core.Conversation{ID: "d2", Kind: core.KindDirect, DirectKey: core.DirectKey("u2", "u1"),
			CreatedBy: "u2", CreatedAt: stAt(5), LastActivityAt: stAt(5)}
		got, created, err := f.s.Conversations.CreateConversation(f.ctx, again, []core.Member{
			{ConversationID: "d2", UserID: "u2", Role: core.RoleOwner, JoinedAt: stAt(5)},
			{ConversationID: "d2", UserID: "u1", Role: core.RoleMember, JoinedAt: stAt(5)},
		})
		require.NoError(t, err)
		assert.False(t, created)
		cur, err := f.s.Conversations.Conversation(f.ctx, "d1")
		require.NoError(t, err)
		assert.Equal(t, stNormConv(cur), stNormConv(got), "returns the existing conversation as it is now")
		assert.Equal(t, d1.ID, got.ID)
		assert.Equal(t, int64(1), got.LastSeq)
		_, err = f.s.Conversations.Conversation(f.ctx, "d2")
		assert.ErrorIs(t, err, core.ErrNotFound, "nothing stored for the duplicate")
		ids, err := f.s.Members.ConversationIDsOf(f.ctx, "u1")
		require.NoError(t, err)
		assert.Equal(t, []string{"d1"}, ids)

		other := f.conv("d3", core.KindDirect, "", stAt(6), "u1", "u3")
		assert.Equal(t, "d3", other.ID, "another pair gets its own conversation")
	})

	t.Run("concurrent direct creation yields one conversation", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		const n = 10
		var wg sync.WaitGroup
		ids := make([]string, n)
		createdCount := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("d%d", i)
				c := core.Conversation{ID: id, Kind: core.KindDirect, DirectKey: core.DirectKey("u1", "u2"),
					CreatedBy: "u1", CreatedAt: stAt(i), LastActivityAt: stAt(i)}
				got, created, err := f.s.Conversations.CreateConversation(context.Background(), c, []core.Member{
					{ConversationID: id, UserID: "u1", Role: core.RoleOwner, JoinedAt: stAt(i)},
					{ConversationID: id, UserID: "u2", Role: core.RoleMember, JoinedAt: stAt(i)},
				})
				ids[i], createdCount[i], errs[i] = got.ID, created, err
			}()
		}
		wg.Wait()
		winners := 0
		for i := range n {
			require.NoError(t, errs[i])
			assert.Equal(t, ids[0], ids[i])
			if createdCount[i] {
				winners++
			}
		}
		assert.Equal(t, 1, winners)
		for _, u := range []string{"u1", "u2"} {
			got, err := f.s.Members.ConversationIDsOf(f.ctx, u)
			require.NoError(t, err)
			assert.Equal(t, []string{ids[0]}, got)
		}
	})

	t.Run("non-direct conversations never collide on the empty DirectKey", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("g1", core.KindGroup, "One", stAt(1), "u1")
		f.conv("g2", core.KindGroup, "Two", stAt(2), "u1")
		f.conv("ch1", core.KindChannel, "Three", stAt(3), "u1")
		ids, err := f.s.Members.ConversationIDsOf(f.ctx, "u1")
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"g1", "g2", "ch1"}, ids)
	})

	t.Run("channels", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		// Titles avoid mixed-case ties so the order is the same under byte and case-insensitive collation.
		f.conv("c5", core.KindChannel, "Support desk", stAt(1), "u1")
		f.conv("c4", core.KindChannel, "General", stAt(2), "u1")
		f.conv("c3", core.KindChannel, "Random", stAt(3), "u1")
		f.conv("c2", core.KindChannel, "General", stAt(4), "u2")
		f.conv("c6", core.KindChannel, "Go Lang", stAt(5), "u1")
		f.conv("c1", core.KindChannel, "Gardening", stAt(6), "u1")
		f.conv("g1", core.KindGroup, "General group", stAt(7), "u1")
		f.conv("d1", core.KindDirect, "", stAt(8), "u1", "u2")
		ids := func(cs []core.Conversation) []string {
			out := []string{}
			for _, c := range cs {
				out = append(out, c.ID)
				assert.Equal(t, core.KindChannel, c.Kind)
			}
			return out
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"", []string{"c1", "c2", "c4", "c6", "c3", "c5"}},
			{"GEN", []string{"c2", "c4"}},
			{"e", []string{"c1", "c2", "c4", "c5"}},
			{"lang", []string{"c6"}},
			{"%", []string{}},
			{"group", []string{}},
		} {
			for _, limit := range []int{1, 2, 4, 100} {
				got := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.Conversation], error) {
					return f.s.Conversations.Channels(f.ctx, tc.q, p)
				})
				assert.Equal(t, tc.want, ids(got), "q=%q limit=%d", tc.q, limit)
			}
		}
		_, err := f.s.Conversations.Channels(f.ctx, "", core.PageRequest{Cursor: "%%%", Limit: 5})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})
}
