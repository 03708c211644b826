package porttest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestContactStore checks the ports.ContactStore contract. newStore must return empty stores.
func TestContactStore(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("contacts are the members of direct and group conversations, not channels", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("g1", core.KindGroup, "Team", stAt(1), "u1", "u3", "u2")
		f.conv("g2", core.KindGroup, "Other", stAt(2), "u2", "u1", "u4")
		f.conv("d1", core.KindDirect, "", stAt(3), "u5", "u1")
		f.conv("ch", core.KindChannel, "Lobby", stAt(4), "u1", "u6", "u7")
		f.conv("g3", core.KindGroup, "Elsewhere", stAt(5), "u8", "u9")
		f.join("g3", "u2")
		got, err := f.s.Contacts.ContactsOf(f.ctx, "u1", 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"u2", "u3", "u4", "u5"}, got)
		got, err = f.s.Contacts.ContactsOf(f.ctx, "u6", 100)
		require.NoError(t, err)
		assert.Empty(t, got, "a channel makes no contacts")
		got, err = f.s.Contacts.ContactsOf(f.ctx, "nobody", 100)
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("contacts stop at the limit", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		members := []string{"me"}
		for i := range 30 {
			members = append(members, fmt.Sprintf("u%02d", i))
		}
		f.conv("g", core.KindGroup, "Big", stAt(1), members...)
		got, err := f.s.Contacts.ContactsOf(f.ctx, "me", 10)
		require.NoError(t, err)
		assert.Equal(t, members[1:11], got)
	})
}
