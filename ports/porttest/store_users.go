package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// TestUserStore checks the ports.UserStore contract. newStore must return an empty store.
func TestUserStore(t *testing.T, newStore func(t *testing.T) ports.UserStore) {
	ctx := context.Background()
	user := func(id, username, display string, i int) core.User {
		return core.User{ID: id, Username: username, DisplayName: display, PasswordHash: "hash-" + id, CreatedAt: stAt(i)}
	}

	t.Run("create and read back exactly", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		u := user("u1", "alice", "Alice Liddell", 1)
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.UserByID(ctx, "u1")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(u), stNormUser(got))
		got, err = s.UserByUsername(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(u), stNormUser(got))
	})

	t.Run("an admin created as such reads back exactly", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		u := user("u1", "root", "Root", 1)
		u.Admin = true
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.UserByID(ctx, "u1")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(u), stNormUser(got))
	})

	t.Run("taken username is already_exists and changes nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		u := user("u1", "alice", "Alice", 1)
		require.NoError(t, s.CreateUser(ctx, u))
		err := s.CreateUser(ctx, user("u2", "alice", "Other", 2))
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		_, err = s.UserByID(ctx, "u2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		got, err := s.UserByUsername(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(u), stNormUser(got))
	})

	t.Run("taken id is already_exists", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.CreateUser(ctx, user("u1", "alice", "Alice", 1)))
		assert.ErrorIs(t, s.CreateUser(ctx, user("u1", "bob", "Bob", 2)), core.ErrAlreadyExists)
		_, err := s.UserByUsername(ctx, "bob")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("missing user is not_found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.UserByID(ctx, "nobody")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UserByUsername(ctx, "nobody")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("search", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		users := []core.User{ // in username order
			user("u7", "a_b", "Underscore", 7),
			user("u2", "alfred", "Alfred Pennyworth", 2),
			user("u1", "alice", "Alice Liddell", 1),
			user("u8", "axb", "Wildcard trap", 8),
			user("u3", "bob", "Bob Builder", 3),
			user("u4", "carol", "Carol ALICE Danvers", 4),
			user("u5", "dave_al", "Dave", 5),
			user("u6", "elodie", "Élodie Dupont", 6),
		}
		for _, i := range []int{2, 6, 0, 4, 1, 7, 3, 5} { // insertion order differs from sort order
			require.NoError(t, s.CreateUser(ctx, users[i]))
		}
		names := func(us []core.User) []string {
			out := []string{}
			for _, u := range us {
				out = append(out, u.Username)
			}
			return out
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"", []string{"a_b", "alfred", "alice", "axb", "bob", "carol", "dave_al", "elodie"}},
			{"al", []string{"alfred", "alice", "carol"}}, // dave_al: "al" inside a username is no match
			{"ALICE", []string{"alice", "carol"}},
			{"a_", []string{"a_b"}}, // '_' is literal, not a wildcard
			{"builder", []string{"bob"}},
			{"ÉLO", []string{"elodie"}},
			{"zzz", []string{}},
		} {
			for _, limit := range []int{1, 2, 3, 100} {
				got := stWalk(t, limit, func(p core.PageRequest) (core.Page[core.User], error) {
					return s.SearchUsers(ctx, tc.q, p)
				})
				assert.Equal(t, tc.want, names(got), "q=%q limit=%d", tc.q, limit)
			}
		}
		all := stWalk(t, 3, func(p core.PageRequest) (core.Page[core.User], error) { return s.SearchUsers(ctx, "", p) })
		require.Len(t, all, len(users))
		for i := range users {
			assert.Equal(t, stNormUser(users[i]), stNormUser(all[i]))
		}
	})

	t.Run("set password hash", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		alice, bob := user("u1", "alice", "Alice", 1), user("u2", "bob", "Bob", 2)
		require.NoError(t, s.CreateUser(ctx, alice))
		require.NoError(t, s.CreateUser(ctx, bob))
		require.NoError(t, s.SetPasswordHash(ctx, "u1", "new-hash"))
		alice.PasswordHash = "new-hash"
		got, err := s.UserByID(ctx, "u1")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(alice), stNormUser(got), "only the hash changes")
		got, err = s.UserByUsername(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "new-hash", got.PasswordHash)
		got, err = s.UserByID(ctx, "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(bob), stNormUser(got), "other users keep theirs")
		assert.ErrorIs(t, s.SetPasswordHash(ctx, "nobody", "h"), core.ErrNotFound)
		_, err = s.UserByID(ctx, "nobody")
		assert.ErrorIs(t, err, core.ErrNotFound, "setting a hash creates no user")
	})

	t.Run("deactivation", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		alice, bob := user("u1", "alice", "Alice", 1), user("u2", "bob", "Bob", 2)
		require.NoError(t, s.CreateUser(ctx, alice))
		require.NoError(t, s.CreateUser(ctx, bob))
		at := stAt(5)
		got, err := s.SetDeactivated(ctx, "u1", &at)
		require.NoError(t, err)
		require.NotNil(t, got.DeactivatedAt)
		assert.Equal(t, stMS(at), stMS(*got.DeactivatedAt))
		later := stAt(9)
		got, err = s.SetDeactivated(ctx, "u1", &later)
		require.NoError(t, err)
		assert.Equal(t, stMS(at), stMS(*got.DeactivatedAt), "deactivating again keeps the first time")
		for _, read := range []func() (core.User, error){
			func() (core.User, error) { return s.UserByID(ctx, "u1") },
			func() (core.User, error) { return s.UserByUsername(ctx, "alice") },
		} {
			u, err := read()
			require.NoError(t, err)
			require.NotNil(t, u.DeactivatedAt, "every read shows it")
			assert.Equal(t, stMS(at), stMS(*u.DeactivatedAt))
		}
		u, err := s.UserByID(ctx, "u2")
		require.NoError(t, err)
		assert.Nil(t, u.DeactivatedAt, "others stay active")
		got, err = s.SetDeactivated(ctx, "u1", nil)
		require.NoError(t, err)
		assert.Nil(t, got.DeactivatedAt)
		_, err = s.SetDeactivated(ctx, "nobody", &at)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("system role admin", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		alice, bob := user("u1", "alice", "Alice", 1), user("u2", "bob", "Bob", 2)
		require.NoError(t, s.CreateUser(ctx, alice))
		require.NoError(t, s.CreateUser(ctx, bob))
		got, err := s.SetAdmin(ctx, "u1", true)
		require.NoError(t, err)
		alice.Admin = true
		assert.Equal(t, stNormUser(alice), stNormUser(got), "the user is returned, only Admin changed")
		for name, read := range map[string]func() (core.User, error){
			"UserByID":       func() (core.User, error) { return s.UserByID(ctx, "u1") },
			"UserByUsername": func() (core.User, error) { return s.UserByUsername(ctx, "alice") },
			"SearchUsers": func() (core.User, error) {
				p, err := s.SearchUsers(ctx, "alice", core.PageRequest{Limit: 10})
				if err != nil || len(p.Items) != 1 {
					return core.User{}, fmt.Errorf("found %d users: %w", len(p.Items), err)
				}
				return p.Items[0], nil
			},
		} {
			u, err := read()
			require.NoError(t, err, name)
			assert.Equal(t, stNormUser(alice), stNormUser(u), "%s shows it", name)
		}
		u, err := s.UserByID(ctx, "u2")
		require.NoError(t, err)
		assert.False(t, u.Admin, "others stay plain users")
		got, err = s.SetAdmin(ctx, "u1", true)
		require.NoError(t, err)
		assert.True(t, got.Admin, "giving it again is harmless")
		got, err = s.SetAdmin(ctx, "u1", false)
		require.NoError(t, err)
		alice.Admin = false
		assert.Equal(t, stNormUser(alice), stNormUser(got))
		u, err = s.UserByUsername(ctx, "alice")
		require.NoError(t, err)
		assert.False(t, u.Admin, "taken back")
		_, err = s.SetAdmin(ctx, "nobody", true)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UserByID(ctx, "nobody")
		assert.ErrorIs(t, err, core.ErrNotFound, "setting the role creates no user")
	})

	t.Run("set display name", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		alice, bob := user("u1", "alice", "Alice Liddell", 1), user("u2", "bob", "Bob", 2)
		require.NoError(t, s.CreateUser(ctx, alice))
		require.NoError(t, s.CreateUser(ctx, bob))
		got, err := s.SetDisplayName(ctx, "u1", "Queen Of Hearts")
		require.NoError(t, err)
		alice.DisplayName = "Queen Of Hearts"
		assert.Equal(t, stNormUser(alice), stNormUser(got), "the user is returned, only the display name changed")
		for _, read := range []func() (core.User, error){
			func() (core.User, error) { return s.UserByID(ctx, "u1") },
			func() (core.User, error) { return s.UserByUsername(ctx, "alice") },
		} {
			u, err := read()
			require.NoError(t, err)
			assert.Equal(t, stNormUser(alice), stNormUser(u))
		}
		for q, want := range map[string][]string{"hearts": {"u1"}, "liddell": {}, "bob": {"u2"}} {
			p, err := s.SearchUsers(ctx, q, core.PageRequest{Limit: 10})
			require.NoError(t, err)
			ids := []string{}
			for _, u := range p.Items {
				ids = append(ids, u.ID)
			}
			assert.Equal(t, want, ids, "search %q finds the new name, not the old one", q)
		}
		u, err := s.UserByID(ctx, "u2")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(bob), stNormUser(u), "others keep theirs")
		_, err = s.SetDisplayName(ctx, "nobody", "X")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UserByID(ctx, "nobody")
		assert.ErrorIs(t, err, core.ErrNotFound, "setting a name creates no user")
	})

	t.Run("external identities", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.UserByExternalID(ctx, "https://app", "sub-1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		ext := core.User{ID: "u1", Username: "alice", DisplayName: "Alice", CreatedAt: stAt(1)}
		require.NoError(t, s.CreateExternalUser(ctx, ext, "https://app", "sub-1"))
		got, err := s.UserByExternalID(ctx, "https://app", "sub-1")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(ext), stNormUser(got))
		got, err = s.UserByUsername(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, "u1", got.ID, "an ordinary user otherwise")
		_, err = s.UserByExternalID(ctx, "https://other-app", "sub-1")
		assert.ErrorIs(t, err, core.ErrNotFound, "the issuer is part of the identity")

		err = s.CreateExternalUser(ctx, core.User{ID: "u2", Username: "alice", CreatedAt: stAt(2)}, "https://app", "sub-2")
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		assert.Equal(t, "username", core.AsError(err).Field)
		err = s.CreateExternalUser(ctx, core.User{ID: "u3", Username: "alice2", CreatedAt: stAt(3)}, "https://app", "sub-1")
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		assert.Equal(t, "subject", core.AsError(err).Field)
		for _, id := range []string{"u2", "u3"} {
			_, err = s.UserByID(ctx, id)
			assert.ErrorIs(t, err, core.ErrNotFound, "a refused create leaves no user behind (%s)", id)
		}
		_, err = s.UserByExternalID(ctx, "https://app", "sub-2")
		assert.ErrorIs(t, err, core.ErrNotFound, "nor an identity")
	})

	t.Run("search with a bad cursor is invalid_argument", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.SearchUsers(ctx, "", core.PageRequest{Cursor: "!!not a cursor!!", Limit: 10})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})
}

// TestSessionStore checks the ports.SessionStore contract. newStore must return an empty store.
func TestSessionStore(t *testing.T, newStore func(t *testing.T) ports.SessionStore) {
	ctx := context.Background()
	session := func(hash, user string, created time.Time, ttl time.Duration) core.Session {
		return core.Session{TokenHash: hash, UserID: user, CreatedAt: created, ExpiresAt: created.Add(ttl)}
	}

	t.Run("create and read back exactly", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		sess := session("h1", "u1", stAt(1), time.Hour)
		require.NoError(t, s.CreateSession(ctx, sess))
		got, err := s.Session(ctx, "h1")
		require.NoError(t, err)
		assert.Equal(t, stNormSession(sess), stNormSession(got))
	})

	t.Run("expired sessions are still returned", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		sess := session("h1", "u1", time.Now().Add(-2*time.Hour), time.Hour)
		require.NoError(t, s.CreateSession(ctx, sess))
		got, err := s.Session(ctx, "h1")
		require.NoError(t, err)
		assert.Equal(t, stNormSession(sess), stNormSession(got))
	})

	t.Run("duplicate token hash is already_exists and changes nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		sess := session("h1", "u1", stAt(1), time.Hour)
		require.NoError(t, s.CreateSession(ctx, sess))
		assert.ErrorIs(t, s.CreateSession(ctx, session("h1", "u2", stAt(2), time.Hour)), core.ErrAlreadyExists)
		got, err := s.Session(ctx, "h1")
		require.NoError(t, err)
		assert.Equal(t, stNormSession(sess), stNormSession(got))
	})

	t.Run("missing session is not_found", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Session(ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("expired sessions are swept, oldest first, in batches", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		for i, ttl := range []time.Duration{-3 * time.Hour, -2 * time.Hour, -time.Hour, 0, time.Hour} {
			created := now.Add(-4 * time.Hour)
			require.NoError(t, s.CreateSession(ctx, core.Session{TokenHash: fmt.Sprintf("h%d", i), UserID: "u1",
				CreatedAt: created, ExpiresAt: now.Add(ttl)}))
		}
		n, err := s.DeleteExpiredSessions(ctx, now, 2)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "at most the limit")
		for _, h := range []string{"h0", "h1"} {
			_, err := s.Session(ctx, h)
			assert.ErrorIs(t, err, core.ErrNotFound, "%s: the oldest go first", h)
		}
		n, err = s.DeleteExpiredSessions(ctx, now, 100)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "the rest of the expired ones, the one expiring exactly now included")
		_, err = s.Session(ctx, "h4")
		assert.NoError(t, err, "a live session stays")
		n, err = s.DeleteExpiredSessions(ctx, now, 100)
		require.NoError(t, err)
		assert.Zero(t, n)
	})

	t.Run("delete a user's sessions but one", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i, owner := range []string{"u1", "u1", "u1", "u2", "u1"} {
			ttl := time.Hour
			if i == 2 {
				ttl = -time.Hour // expired ones go too
			}
			require.NoError(t, s.CreateSession(ctx, session(fmt.Sprintf("h%d", i), owner, stAt(i), ttl)))
		}
		n, err := s.DeleteUserSessions(ctx, "u1", "h1")
		require.NoError(t, err)
		assert.Equal(t, 3, n, "h0, h2 and h4")
		for _, h := range []string{"h0", "h2", "h4"} {
			_, err := s.Session(ctx, h)
			assert.ErrorIs(t, err, core.ErrNotFound, h)
		}
		_, err = s.Session(ctx, "h1")
		assert.NoError(t, err, "the excepted session stays")
		_, err = s.Session(ctx, "h3")
		assert.NoError(t, err, "another user's session stays")

		n, err = s.DeleteUserSessions(ctx, "u1", "h1")
		require.NoError(t, err)
		assert.Zero(t, n, "nothing left to delete")
		n, err = s.DeleteUserSessions(ctx, "u1", "h3")
		require.NoError(t, err)
		assert.Equal(t, 1, n, "excepting another user's session spares none of u1's")
		_, err = s.Session(ctx, "h3")
		assert.NoError(t, err)
		n, err = s.DeleteUserSessions(ctx, "nobody", "")
		require.NoError(t, err)
		assert.Zero(t, n)
	})

	t.Run("delete all of a user's sessions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i, owner := range []string{"u1", "u2", "u1", "u1"} {
			require.NoError(t, s.CreateSession(ctx, session(fmt.Sprintf("h%d", i), owner, stAt(i), time.Hour)))
		}
		n, err := s.DeleteUserSessions(ctx, "u1", "")
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		for _, h := range []string{"h0", "h2", "h3"} {
			_, err := s.Session(ctx, h)
			assert.ErrorIs(t, err, core.ErrNotFound, h)
		}
		_, err = s.Session(ctx, "h1")
		assert.NoError(t, err, "another user's session stays")
	})

	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.CreateSession(ctx, session("h1", "u1", stAt(1), time.Hour)))
		require.NoError(t, s.CreateSession(ctx, session("h2", "u1", stAt(2), time.Hour)))
		require.NoError(t, s.DeleteSession(ctx, "h1"))
		_, err := s.Session(ctx, "h1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.Session(ctx, "h2")
		assert.NoError(t, err, "deleting one session leaves the others")
		assert.NoError(t, s.DeleteSession(ctx, "h1"), "deleting twice is not an error")
		assert.NoError(t, s.DeleteSession(ctx, "never"), "deleting a missing session is not an error")
	})
}

// TestSessionUser checks ports.SessionStore.SessionUser, which needs users and sessions of the same store.
func TestSessionUser(t *testing.T, newStore func(t *testing.T) Stores) {
	ctx := context.Background()
	t.Run("a session and its user, exactly, expired or not", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		u := core.User{ID: "u1", Username: "alice", DisplayName: "Alice", PasswordHash: "hash-u1", CreatedAt: stAt(1)}
		require.NoError(t, st.Users.CreateUser(ctx, u))
		require.NoError(t, st.Users.CreateUser(ctx, core.User{ID: "u2", Username: "bob", DisplayName: "Bob",
			PasswordHash: "hash-u2", CreatedAt: stAt(2)}))
		live := core.Session{TokenHash: "h1", UserID: "u1", CreatedAt: stAt(3), ExpiresAt: stAt(3).Add(time.Hour)}
		expired := core.Session{TokenHash: "h2", UserID: "u1", CreatedAt: time.Now().Add(-2 * time.Hour),
			ExpiresAt: time.Now().Add(-time.Hour)}
		require.NoError(t, st.Sessions.CreateSession(ctx, live))
		require.NoError(t, st.Sessions.CreateSession(ctx, expired))
		for _, want := range []core.Session{live, expired} {
			sess, got, err := st.Sessions.SessionUser(ctx, want.TokenHash)
			require.NoError(t, err)
			assert.Equal(t, stNormSession(want), stNormSession(sess))
			assert.Equal(t, stNormUser(u), stNormUser(got), "the session's user, not another")
		}
	})
	t.Run("a deactivated user's session says so", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		require.NoError(t, st.Users.CreateUser(ctx, core.User{ID: "u1", Username: "alice", DisplayName: "Alice",
			PasswordHash: "h", CreatedAt: stAt(1)}))
		require.NoError(t, st.Sessions.CreateSession(ctx, core.Session{TokenHash: "h1", UserID: "u1",
			CreatedAt: stAt(1), ExpiresAt: stAt(1).Add(time.Hour)}))
		at := stAt(2)
		_, err := st.Users.SetDeactivated(ctx, "u1", &at)
		require.NoError(t, err)
		_, u, err := st.Sessions.SessionUser(ctx, "h1")
		require.NoError(t, err)
		require.NotNil(t, u.DeactivatedAt)
		assert.Equal(t, stMS(at), stMS(*u.DeactivatedAt))
	})
	t.Run("an admin's session says so", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		require.NoError(t, st.Users.CreateUser(ctx, core.User{ID: "u1", Username: "alice", DisplayName: "Alice",
			PasswordHash: "h", CreatedAt: stAt(1)}))
		require.NoError(t, st.Sessions.CreateSession(ctx, core.Session{TokenHash: "h1", UserID: "u1",
			CreatedAt: stAt(1), ExpiresAt: stAt(1).Add(time.Hour)}))
		_, u, err := st.Sessions.SessionUser(ctx, "h1")
		require.NoError(t, err)
		assert.False(t, u.Admin)
		_, err = st.Users.SetAdmin(ctx, "u1", true)
		require.NoError(t, err)
		_, u, err = st.Sessions.SessionUser(ctx, "h1")
		require.NoError(t, err)
		assert.True(t, u.Admin)
	})
	t.Run("a missing session, or one whose user is gone, is not_found", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		_, _, err := st.Sessions.SessionUser(ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)
		require.NoError(t, st.Sessions.CreateSession(ctx, core.Session{TokenHash: "h1", UserID: "ghost",
			CreatedAt: stAt(1), ExpiresAt: stAt(1).Add(time.Hour)}))
		_, _, err = st.Sessions.SessionUser(ctx, "h1")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("a deleted session is not_found", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		require.NoError(t, st.Users.CreateUser(ctx, core.User{ID: "u1", Username: "alice", DisplayName: "Alice",
			PasswordHash: "h", CreatedAt: stAt(1)}))
		require.NoError(t, st.Sessions.CreateSession(ctx, core.Session{TokenHash: "h1", UserID: "u1",
			CreatedAt: stAt(1), ExpiresAt: stAt(1).Add(time.Hour)}))
		require.NoError(t, st.Sessions.DeleteSession(ctx, "h1"))
		_, _, err := st.Sessions.SessionUser(ctx, "h1")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
}

// TestAPIKeyStore checks the ports.APIKeyStore contract. newStore must return an empty store, and the user store
// of the same data.
func TestAPIKeyStore(t *testing.T, newStore func(t *testing.T) (ports.APIKeyStore, ports.UserStore)) {
	ctx := context.Background()
	norm := func(k core.APIKey) core.APIKey {
		k.CreatedAt = k.CreatedAt.UTC().Truncate(time.Millisecond)
		if k.RevokedAt != nil {
			at := k.RevokedAt.UTC().Truncate(time.Millisecond)
			k.RevokedAt = &at
		}
		return k
	}

	t.Run("create, read, list and revoke", func(t *testing.T) {
		t.Parallel()
		s, users := newStore(t)
		admin := core.APIKey{ID: "k1", Name: "host app", Scope: core.ScopeAdmin, SecretHash: "h1", CreatedAt: stAt(1)}
		require.NoError(t, s.CreateAPIKey(ctx, admin, nil))
		bot := core.User{ID: "b1", Username: "helper", DisplayName: "Helper", Bot: true, CreatedAt: stAt(2)}
		botKey := core.APIKey{ID: "k2", Name: "helper bot", Scope: core.ScopeBot, BotUserID: "b1", SecretHash: "h2", CreatedAt: stAt(2)}
		require.NoError(t, s.CreateAPIKey(ctx, botKey, &bot))
		got, err := s.APIKey(ctx, "k1")
		require.NoError(t, err)
		assert.Equal(t, norm(admin), norm(got))
		got, err = s.APIKey(ctx, "k2")
		require.NoError(t, err)
		assert.Equal(t, norm(botKey), norm(got))
		u, err := users.UserByID(ctx, "b1")
		require.NoError(t, err)
		assert.Equal(t, stNormUser(bot), stNormUser(u), "the bot user, flagged")
		_, err = s.APIKey(ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)

		p, err := s.APIKeys(ctx, core.PageRequest{Limit: 1})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, "k1", p.Items[0].ID)
		p, err = s.APIKeys(ctx, core.PageRequest{Limit: 1, Cursor: p.Next})
		require.NoError(t, err)
		require.Len(t, p.Items, 1)
		assert.Equal(t, "k2", p.Items[0].ID)
		assert.Empty(t, p.Next)

		r, err := s.RevokeAPIKey(ctx, "k2", stAt(5))
		require.NoError(t, err)
		require.NotNil(t, r.RevokedAt)
		assert.Equal(t, stMS(stAt(5)), stMS(*r.RevokedAt))
		r, err = s.RevokeAPIKey(ctx, "k2", stAt(9))
		require.NoError(t, err)
		assert.Equal(t, stMS(stAt(5)), stMS(*r.RevokedAt), "revoking again keeps the first time")
		got, err = s.APIKey(ctx, "k2")
		require.NoError(t, err)
		assert.True(t, got.Revoked())
		got, err = s.APIKey(ctx, "k1")
		require.NoError(t, err)
		assert.False(t, got.Revoked(), "other keys keep working")
		_, err = s.RevokeAPIKey(ctx, "nope", stAt(5))
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("a bot key with a taken username creates nothing", func(t *testing.T) {
		t.Parallel()
		s, users := newStore(t)
		require.NoError(t, users.CreateUser(ctx, core.User{ID: "u1", Username: "helper", CreatedAt: stAt(1)}))
		bot := core.User{ID: "b1", Username: "helper", Bot: true, CreatedAt: stAt(2)}
		err := s.CreateAPIKey(ctx, core.APIKey{ID: "k1", Name: "bot", Scope: core.ScopeBot, BotUserID: "b1", SecretHash: "h",
			CreatedAt: stAt(2)}, &bot)
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		_, err = s.APIKey(ctx, "k1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = users.UserByID(ctx, "b1")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
}
