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

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.Register(ctx, chat.RegisterInput{Username: " Alice ", Password: "secret-pass", DisplayName: " Alice A "})
	require.NoError(t, err)
	assert.Equal(t, "alice", u.Username)
	assert.Equal(t, "Alice A", u.DisplayName)
	assert.NotContains(t, u.PasswordHash, "secret-pass-")

	cases := []struct {
		name string
		in   chat.RegisterInput
		code core.Code
	}{
		{"duplicate username", chat.RegisterInput{Username: "ALICE", Password: "another-pass"}, core.CodeAlreadyExists},
		{"bad username", chat.RegisterInput{Username: "a!", Password: "password1"}, core.CodeInvalidArgument},
		{"short password", chat.RegisterInput{Username: "bob", Password: "short"}, core.CodeInvalidArgument},
		{"control chars in name", chat.RegisterInput{Username: "carol", Password: "password1", DisplayName: "x\x00"}, core.CodeInvalidArgument},
	}
	for _, c := range cases {
		_, err := e.svc.Register(ctx, c.in)
		assert.Equal(t, c.code, core.CodeOf(err), c.name)
	}
	// Nothing was created by the refused registrations.
	p, err := e.svc.SearchUsers(ctx, "", core.PageRequest{})
	require.NoError(t, err)
	assert.Len(t, p.Items, 1)
}

func TestLogInAuthenticateLogOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id := e.user("dave")

	login, err := e.svc.LogIn(ctx, "Dave", "password-dave")
	require.NoError(t, err)
	assert.Equal(t, id, login.User.ID)
	assert.True(t, login.ExpiresAt.After(e.clock.Now()))

	u, _, err := e.svc.AuthenticateSession(ctx, login.Token)
	require.NoError(t, err)
	assert.Equal(t, id, u.ID)

	for _, c := range []struct{ user, pass string }{{"dave", "wrong-password"}, {"nobody", "password-dave"}} {
		_, err := e.svc.LogIn(ctx, c.user, c.pass)
		assert.ErrorIs(t, err, core.ErrUnauthenticated)
	}
	_, _, err = e.svc.AuthenticateSession(ctx, "sc_not-a-token")
	assert.ErrorIs(t, err, core.ErrUnauthenticated)
	_, _, err = e.svc.AuthenticateSession(ctx, "")
	assert.ErrorIs(t, err, core.ErrUnauthenticated)

	require.NoError(t, e.svc.LogOut(ctx, login.Token))
	_, _, err = e.svc.AuthenticateSession(ctx, login.Token)
	assert.ErrorIs(t, err, core.ErrUnauthenticated)
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.SessionTTL = time.Hour })
	ctx := context.Background()
	e.user("erin")
	login, err := e.svc.LogIn(ctx, "erin", "password-erin")
	require.NoError(t, err)
	e.clock.Advance(59 * time.Minute)
	_, _, err = e.svc.AuthenticateSession(ctx, login.Token)
	require.NoError(t, err)
	e.clock.Advance(time.Minute)
	_, _, err = e.svc.AuthenticateSession(ctx, login.Token)
	assert.ErrorIs(t, err, core.ErrUnauthenticated)
}
