package core_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

func TestNormalizeUsername(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"  Alice.B_c-9 ", "alice.b_c-9", true},
		{"ab", "", false},
		{strings.Repeat("a", 33), "", false},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{"al ice", "", false},
		{"ålice", "", false},
		{"alice!", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := core.NormalizeUsername(c.in)
			if !c.ok {
				require.ErrorIs(t, err, core.ErrInvalidArgument)
				assert.Equal(t, "username", core.AsError(err).Field)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestValidateBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		body string
		ok   bool
	}{
		{"one char", "x", true},
		{"max runes", strings.Repeat("é", core.MaxBodyLen), true},
		{"too long", strings.Repeat("a", core.MaxBodyLen+1), false},
		{"empty", "", false},
		{"only spaces", "  \n\t ", false},
		{"multiline", "line 1\nline 2", true},
		{"control char", "bell\a", false},
		{"invalid utf8", "\xff\xfe", false},
		{"only zero-width and BOM", "\u200b\ufeff \u200b", false},
		{"only a word joiner and soft hyphens", "\u2060\u00ad\u00ad", false},
		{"only Hangul and braille fillers", "\u3164\u2800", false},
		{"visible text around a zero-width space", "a\u200bb", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := core.ValidateBody(c.body)
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, core.ErrInvalidArgument)
			}
		})
	}
}

func TestValidateClientMsgID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{"abc-1": true, "01JAZ:x.y_z": true, "": false, "has space": false,
		strings.Repeat("a", core.MaxClientMsgIDLen): true, strings.Repeat("a", core.MaxClientMsgIDLen+1): false} {
		err := core.ValidateClientMsgID(id)
		assert.Equal(t, ok, err == nil, "id %q: %v", id, err)
	}
}

func TestValidateTitleAndTopic(t *testing.T) {
	t.Parallel()
	title, err := core.ValidateTitle(core.KindGroup, "  Team  ")
	require.NoError(t, err)
	assert.Equal(t, "Team", title)
	_, err = core.ValidateTitle(core.KindGroup, " ")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = core.ValidateTitle(core.KindChannel, strings.Repeat("t", core.MaxTitleLen+1))
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = core.ValidateTitle(core.KindDirect, "no titles here")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	_, err = core.ValidateTopic(core.KindDirect, "x")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	topic, err := core.ValidateTopic(core.KindChannel, "")
	require.NoError(t, err)
	assert.Empty(t, topic)
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	group := core.Conversation{Kind: core.KindGroup}
	direct := core.Conversation{Kind: core.KindDirect}
	owner := core.Member{UserID: "o", Role: core.RoleOwner}
	admin := core.Member{UserID: "a", Role: core.RoleAdmin}
	member := core.Member{UserID: "m", Role: core.RoleMember}
	other := core.Member{UserID: "x", Role: core.RoleMember}
	msgByMember := core.Message{SenderID: "m"}

	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"owner manages members", owner.CanManageMembers(group), true},
		{"admin manages members", admin.CanManageMembers(group), true},
		{"member does not manage members", member.CanManageMembers(group), false},
		{"nobody manages a direct conversation", owner.CanManageMembers(direct), false},
		{"owner removes admin", owner.CanRemove(group, admin), true},
		{"owner removes owner", owner.CanRemove(group, core.Member{Role: core.RoleOwner}), true},
		{"admin removes member", admin.CanRemove(group, member), true},
		{"admin does not remove admin", admin.CanRemove(group, core.Member{Role: core.RoleAdmin}), false},
		{"admin does not remove owner", admin.CanRemove(group, owner), false},
		{"member removes nobody", member.CanRemove(group, other), false},
		{"only owners set roles", admin.CanSetRole(group, member, core.RoleAdmin), false},
		{"owner sets roles", owner.CanSetRole(group, member, core.RoleAdmin), true},
		{"owner cannot set unknown role", owner.CanSetRole(group, member, core.Role("king")), false},
		{"admin updates", admin.CanUpdate(group), true},
		{"member does not update", member.CanUpdate(group), false},
		{"direct is not updatable", owner.CanUpdate(direct), false},
		{"sender edits own", member.CanEdit(msgByMember), true},
		{"admin does not edit others'", admin.CanEdit(msgByMember), false},
		{"sender deletes own", member.CanDelete(group, msgByMember), true},
		{"admin deletes others'", admin.CanDelete(group, msgByMember), true},
		{"member does not delete others'", other.CanDelete(group, msgByMember), false},
		{"no moderation in direct", core.Member{UserID: "z", Role: core.RoleOwner}.CanDelete(direct, msgByMember), false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.got, c.name)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	cause := errors.New("driver said no")
	err := fmt.Errorf("context: %w", core.Wrap(core.CodeUnavailable, cause, "database unavailable"))
	assert.ErrorIs(t, err, core.ErrUnavailable)
	assert.NotErrorIs(t, err, core.ErrInternal)
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, core.CodeUnavailable, core.CodeOf(err))
	assert.Equal(t, core.CodeInternal, core.CodeOf(errors.New("plain")))
	assert.Equal(t, core.Code(""), core.CodeOf(nil))
	plain := core.AsError(errors.New("secret detail"))
	assert.Equal(t, core.CodeInternal, plain.Code)
	assert.NotContains(t, plain.Message, "secret")
	assert.Equal(t, core.DirectKey("b", "a"), core.DirectKey("a", "b"))
	_, err = core.ClampLimit(-1, 10, 100)
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	n, _ := core.ClampLimit(0, 10, 100)
	assert.Equal(t, 10, n)
	n, _ = core.ClampLimit(1000, 10, 100)
	assert.Equal(t, 100, n)
}

func TestCleanDisplayName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"Alice", "Alice"}, {"  Alice  ", "Alice"}, {"", "alice"}, {"\u200b\ufeff", "alice"}, {" \u3164 ", "alice"},
		{"Zoë 李", "Zoë 李"},
	} {
		got, err := core.CleanDisplayName(c.in, "alice")
		require.NoError(t, err, "%q", c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
	}
	for _, bad := range []string{"evil\u202egnp.exe", "a\u202ab", "a\u2066b\u2069", "mark\u200f", "\u061cx", "bell\a"} {
		_, err := core.CleanDisplayName(bad, "alice")
		assert.ErrorIs(t, err, core.ErrInvalidArgument, "%q", bad)
	}
}

func TestInvisibleTitlesAreEmpty(t *testing.T) {
	t.Parallel()
	_, err := core.ValidateTitle(core.KindGroup, "\u200b\u200b")
	assert.ErrorIs(t, err, core.ErrInvalidArgument)
	topic, err := core.ValidateTopic(core.KindGroup, "\ufeff")
	require.NoError(t, err)
	assert.Equal(t, "", topic)
}

func TestMessageIDIsNameBased(t *testing.T) {
	id := core.MessageID("conv", "alice", "c-1")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	assert.Equal(t, id, core.MessageID("conv", "alice", "c-1"), "every attempt names the same message")
	for _, other := range []string{core.MessageID("conv", "alice", "c-2"), core.MessageID("conv", "bob", "c-1"),
		core.MessageID("conv2", "alice", "c-1"), core.MessageID("conva", "lice", "c-1")} {
		assert.NotEqual(t, id, other)
	}
}
