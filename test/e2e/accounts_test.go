package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// allUsers lists every user through searchUsers, one page of limit at a time.
func (u *user) allUsers(t testing.TB, q string, limit int64) []sdk.User {
	t.Helper()
	var all []sdk.User
	params := &sdk.SearchUsersParams{Limit: &limit}
	if q != "" {
		params.Q = &q
	}
	for range 1000 {
		r, err := u.c.SearchUsersWithResponse(t.Context(), params)
		wantStatus(t, r, err, http.StatusOK)
		require.LessOrEqual(t, int64(len(r.JSON200.Items)), limit)
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all
		}
		params = &sdk.SearchUsersParams{Q: params.Q, Limit: &limit, Cursor: r.JSON200.Next}
	}
	t.Fatal("user paging did not end")
	return nil
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	anon := s.client(t, "")
	ctx := t.Context()

	var alice, bob sdk.User
	t.Run("registerUser lowers the username and defaults the display name", func(t *testing.T) {
		r, err := anon.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: "  Alice ", Password: "correct horse"})
		wantStatus(t, r, err, http.StatusCreated)
		alice = *r.JSON201
		assert.Equal(t, "alice", alice.Username)
		assert.Equal(t, "alice", alice.DisplayName)
		assert.NotEmpty(t, alice.Id)
		assert.WithinDuration(t, time.Now(), alice.CreatedAt, time.Minute)
		assert.Equal(t, time.UTC, alice.CreatedAt.Location())

		r, err = anon.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: "bob", Password: "bob-password",
			DisplayName: ptr("Bob the Builder")})
		wantStatus(t, r, err, http.StatusCreated)
		bob = *r.JSON201
		assert.Equal(t, "Bob the Builder", bob.DisplayName)
	})

	var sess sdk.Session
	t.Run("createSession returns a token, its expiry and the user", func(t *testing.T) {
		sess = s.login(t, "ALICE", "correct horse") // usernames are case-insensitive
		assert.NotEmpty(t, sess.Token)
		assert.Equal(t, alice, sess.User)
		assert.WithinDuration(t, time.Now().Add(720*time.Hour), sess.ExpiresAt, time.Hour)
	})

	t.Run("getMe", func(t *testing.T) {
		r, err := s.client(t, sess.Token).GetMeWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, alice, *r.JSON200)
		assert.Equal(t, "no-store", r.HTTPResponse.Header.Get("Cache-Control"))
	})

	t.Run("getUser", func(t *testing.T) {
		c := s.client(t, sess.Token)
		r, err := c.GetUserWithResponse(ctx, alice.Id)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, alice, *r.JSON200)
		r, err = c.GetUserWithResponse(ctx, "no-such-user")
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	})

	t.Run("searchUsers by prefix and display name, paged", func(t *testing.T) {
		for _, name := range []string{"bobby", "carol", "dave", "erin", "bo_b"} {
			s.signUp(t, name)
		}
		me := &user{c: s.client(t, sess.Token)}
		everyone := me.allUsers(t, "", 2)
		assert.Equal(t, []string{"alice", "bo_b", "bob", "bobby", "carol", "dave", "erin"}, userNames(everyone),
			"walking pages of 2 lists everyone once, ordered by username")
		assert.Equal(t, everyone, me.allUsers(t, "", 200), "one big page equals the small pages")
		assert.Equal(t, []string{"bob", "bobby"}, userNames(me.allUsers(t, "bob", 1)))
		assert.Equal(t, []string{"bob"}, userNames(me.allUsers(t, "BUILDER", 50)), "display names match, case-insensitively")
		assert.Empty(t, me.allUsers(t, "zzz", 50))

		r, err := me.c.SearchUsersWithResponse(ctx, &sdk.SearchUsersParams{Q: ptr("zzz")})
		wantStatus(t, r, err, http.StatusOK)
		assert.JSONEq(t, `{"items": []}`, string(r.Body), "an empty list is [] and next is absent")
	})

	t.Run("getPresence: users without a live connection are offline", func(t *testing.T) {
		c := s.client(t, sess.Token)
		r, err := c.GetPresenceWithResponse(ctx, &sdk.GetPresenceParams{UserIds: &[]string{bob.Id, alice.Id, "no-such-user"}})
		wantStatus(t, r, err, http.StatusOK)
		require.Len(t, r.JSON200.Items, 3)
		assert.Equal(t, []string{bob.Id, alice.Id, "no-such-user"},
			[]string{r.JSON200.Items[0].UserId, r.JSON200.Items[1].UserId, r.JSON200.Items[2].UserId}, "in the order asked")
		for _, p := range r.JSON200.Items {
			assert.Equal(t, sdk.Offline, p.Status)
			assert.Nil(t, p.LastSeenAt, "never connected")
		}

		r, err = c.GetPresenceWithResponse(ctx, nil)
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		many := make([]string, 201)
		for i := range many {
			many[i] = fmt.Sprintf("u%d", i)
		}
		r, err = c.GetPresenceWithResponse(ctx, &sdk.GetPresenceParams{UserIds: &many})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		r, err = anon.GetPresenceWithResponse(ctx, &sdk.GetPresenceParams{UserIds: &[]string{bob.Id}})
		wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	})

	t.Run("deleteCurrentSession revokes only that token", func(t *testing.T) {
		other := s.login(t, "alice", "correct horse")
		require.NotEqual(t, sess.Token, other.Token)
		c := s.client(t, sess.Token)
		r, err := c.DeleteCurrentSessionWithResponse(ctx)
		wantStatus(t, r, err, http.StatusNoContent)

		me, err := c.GetMeWithResponse(ctx)
		p := wantProblem(t, me, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
		assert.NotContains(t, *p.Detail, sess.Token)
		assert.Equal(t, "Bearer", me.HTTPResponse.Header.Get("WWW-Authenticate"))
		again, err := c.DeleteCurrentSessionWithResponse(ctx)
		wantProblem(t, again, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)

		me, err = s.client(t, other.Token).GetMeWithResponse(ctx)
		wantStatus(t, me, err, http.StatusOK)
		assert.Equal(t, alice.Id, me.JSON200.Id)
	})
}

// TestSessionExpiry runs a process with a short --session-ttl: tokens stop working once it has passed.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Second
	s := startServer(t, "--session-ttl", ttl.String())
	u := s.signUp(t, "shortlived")
	sess := s.login(t, "shortlived", u.Password)
	assert.WithinDuration(t, time.Now().Add(ttl), sess.ExpiresAt, ttl)
	c := s.client(t, sess.Token)
	time.Sleep(time.Until(sess.ExpiresAt) + 100*time.Millisecond)
	r, err := c.GetMeWithResponse(t.Context())
	wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	fresh := s.login(t, "shortlived", u.Password)
	r, err = s.client(t, fresh.Token).GetMeWithResponse(t.Context())
	wantStatus(t, r, err, http.StatusOK)
}
