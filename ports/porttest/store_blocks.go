package porttest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestBlockStore checks the ports.BlockStore contract. newStore must return empty stores.
func TestBlockStore(t *testing.T, newStore func(t *testing.T) Stores) {
	// users creates the accounts a test blocks with, so the suite holds for a store that checks them.
	users := func(f stFixture, ids ...string) {
		f.t.Helper()
		for _, id := range ids {
			require.NoError(f.t, f.s.Users.CreateUser(f.ctx, core.User{ID: id, Username: "user-" + id,
				DisplayName: id, PasswordHash: "h", CreatedAt: stAt(0)}))
		}
	}
	block := func(f stFixture, user, blocked string, i int) core.Block {
		f.t.Helper()
		b := core.Block{UserID: user, BlockedID: blocked, CreatedAt: stAt(i)}
		require.NoError(f.t, f.s.Blocks.Block(f.ctx, b))
		return b
	}
	all := func(f stFixture, user string) []core.Block {
		f.t.Helper()
		out := []core.Block{}
		for _, b := range stWalk(f.t, 100, func(p core.PageRequest) (core.Page[core.Block], error) {
			return f.s.Blocks.Blocks(f.ctx, user, p)
		}) {
			out = append(out, stNormBlock(b))
		}
		return out
	}
	blocking := func(f stFixture, user string, among ...string) []string {
		f.t.Helper()
		ids, err := f.s.Blocks.Blocking(f.ctx, user, among)
		require.NoError(f.t, err)
		return ids
	}
	blockers := func(f stFixture, user string, among ...string) []string {
		f.t.Helper()
		ids, err := f.s.Blocks.BlockersOf(f.ctx, user, among)
		require.NoError(f.t, err)
		return ids
	}

	t.Run("block and read back exactly", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "u1", "u2")
		b := block(f, "u1", "u2", 1)
		assert.Equal(t, []core.Block{stNormBlock(b)}, all(f, "u1"))
		assert.Empty(t, all(f, "u2"), "blocking is one way")
	})

	t.Run("blocking again changes nothing", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "u1", "u2")
		first := block(f, "u1", "u2", 1)
		block(f, "u1", "u2", 50)
		assert.Equal(t, []core.Block{stNormBlock(first)}, all(f, "u1"), "one block, CreatedAt of the first")
	})

	t.Run("unblock", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "u1", "u2", "u3")
		block(f, "u1", "u2", 1)
		kept := block(f, "u1", "u3", 2)
		other := block(f, "u2", "u1", 3)
		require.NoError(t, f.s.Blocks.Unblock(f.ctx, "u1", "u2"))
		assert.Equal(t, []core.Block{stNormBlock(kept)}, all(f, "u1"))
		assert.Equal(t, []core.Block{stNormBlock(other)}, all(f, "u2"), "the other direction stays")
		assert.Empty(t, blocking(f, "u1", "u2"))
		assert.Empty(t, blockers(f, "u2", "u1"))
		assert.NoError(t, f.s.Blocks.Unblock(f.ctx, "u1", "u2"), "unblocking twice is not an error")
		assert.NoError(t, f.s.Blocks.Unblock(f.ctx, "u3", "u1"), "unblocking a missing block is not an error")
		assert.NoError(t, f.s.Blocks.Unblock(f.ctx, "nobody", "none"))
		block(f, "u1", "u2", 9)
		assert.Equal(t, []string{"u2", "u3"}, blocking(f, "u1", "u2", "u3"), "blocking again after unblocking")
	})

	t.Run("blocks are paged by blocked user id", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		ids := []string{"u07", "u03", "u11", "u01", "u05", "u09", "u02", "u12", "u04", "u10", "u06", "u08"}
		users(f, append([]string{"me", "other", "u00", "u99"}, ids...)...)
		want := make([]core.Block, len(ids))
		for i, id := range ids {
			b := block(f, "me", id, i)
			var n int
			_, err := fmt.Sscanf(id, "u%d", &n)
			require.NoError(t, err)
			want[n-1] = stNormBlock(b)
		}
		block(f, "other", "u00", 1)
		block(f, "other", "u99", 1)
		for _, limit := range []int{1, 5, 12, 100} {
			got := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.Block], error) {
				return f.s.Blocks.Blocks(f.ctx, "me", p)
			})
			normed := make([]core.Block, len(got))
			for i, b := range got {
				normed[i] = stNormBlock(b)
			}
			assert.Equal(t, want, normed, "limit %d", limit)
		}
		p, err := f.s.Blocks.Blocks(f.ctx, "nobody", core.PageRequest{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
		assert.Empty(t, p.Next)
		_, err = f.s.Blocks.Blocks(f.ctx, "me", core.PageRequest{Cursor: "%%%", Limit: 5})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("blocking and blockers among ids", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "u1", "u2", "u3", "u4", "u5")
		block(f, "u1", "u4", 1)
		block(f, "u1", "u2", 2)
		block(f, "u3", "u2", 3)
		block(f, "u5", "u2", 4)
		block(f, "u2", "u1", 5)

		assert.Equal(t, []string{"u2", "u4"}, blocking(f, "u1", "u5", "u4", "nobody", "u3", "u2"), "ascending")
		assert.Equal(t, []string{"u4"}, blocking(f, "u1", "u4"))
		assert.Empty(t, blocking(f, "u1", "u3", "u5", "nobody"))
		assert.Empty(t, blocking(f, "u1"), "an empty list")
		assert.Empty(t, blocking(f, "u4", "u1", "u2"), "u4 blocks no one")
		assert.Equal(t, []string{"u1"}, blocking(f, "u2", "u1", "u3"))

		assert.Equal(t, []string{"u1", "u3", "u5"}, blockers(f, "u2", "u5", "u4", "u3", "u1", "nobody"), "ascending")
		assert.Equal(t, []string{"u3"}, blockers(f, "u2", "u3", "u4"))
		assert.Empty(t, blockers(f, "u2", "u4", "nobody"))
		assert.Empty(t, blockers(f, "u2"), "an empty list")
		assert.Equal(t, []string{"u2"}, blockers(f, "u1", "u2", "u3"))
		assert.Empty(t, blockers(f, "u3", "u1", "u2", "u4", "u5"), "nobody blocks u3")

		ids, err := f.s.Blocks.Blocking(f.ctx, "u1", nil)
		require.NoError(t, err)
		assert.Empty(t, ids, "a nil list")
		ids, err = f.s.Blocks.BlockersOf(f.ctx, "u2", nil)
		require.NoError(t, err)
		assert.Empty(t, ids, "a nil list")
	})

	t.Run("blocks of one user do not show for another", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "u1", "u2", "u3")
		block(f, "u1", "u2", 1)
		assert.Empty(t, all(f, "u3"))
		assert.Empty(t, blocking(f, "u3", "u1", "u2"))
		assert.Empty(t, blocking(f, "u2", "u1"), "blocking is one way")
		assert.Empty(t, blockers(f, "u3", "u1", "u2"))
		assert.Empty(t, blockers(f, "u1", "u2"), "blocking is one way")
		assert.Equal(t, []string{"u1"}, blockers(f, "u2", "u1", "u3"))
	})

	t.Run("thousands of ids in one call", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		users(f, "me")
		among := make([]string, 0, 3000)
		var want []string
		for i := range 3000 {
			among = append(among, fmt.Sprintf("x%04d", 2999-i)) // descending: the answer must be sorted
		}
		for i := 0; i < 3000; i += 500 {
			id := fmt.Sprintf("x%04d", i)
			users(f, id)
			block(f, "me", id, i)
			block(f, id, "me", i)
			want = append(want, id)
		}
		assert.Equal(t, want, blocking(f, "me", among...))
		assert.Equal(t, want, blockers(f, "me", among...))
	})
}
