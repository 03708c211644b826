package porttest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

const (
	presLong   = time.Minute            // a ttl no test outlives
	presShort  = 400 * time.Millisecond // a ttl expiry tests wait out
	presWait   = 10 * time.Second       // bound on waiting for an expiry
	presSlack  = time.Minute            // tolerance on LastSeenAt (a server's clock may differ a little)
	presConns  = 8                      // concurrent connections in the race test
	presPeriod = 20 * time.Millisecond  // polling interval
)

// TestPresence runs the ports.Presence contract against the tracker newPresence returns, which must use the
// real clock. User ids are unique per run, so instances may share a server.
func TestPresence(t *testing.T, newPresence func(t *testing.T) ports.Presence) {
	t.Run("UnknownUsersAreOffline", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		a, b := uniqueName("user"), uniqueName("user")
		st, err := p.Status(t.Context(), []string{a, b})
		require.NoError(t, err)
		require.Len(t, st, 2)
		for _, id := range []string{a, b} {
			assert.Equal(t, id, st[id].UserID)
			assert.False(t, st[id].Online)
			assert.True(t, st[id].LastSeenAt.IsZero(), "never seen")
		}
		st, err = p.Status(t.Context(), nil)
		require.NoError(t, err)
		assert.Empty(t, st)
	})

	t.Run("OnlineOnFirstConnectionOfflineAfterLast", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		u, other := uniqueName("user"), uniqueName("user")
		presTouch(t, p, u, "c1", presLong, true, "first connection brings the user online")
		presTouch(t, p, u, "c1", presLong, false, "refreshing a connection changes nothing")
		presTouch(t, p, u, "c2", presLong, false, "a second connection changes nothing")
		presOnline(t, p, u, true)
		presOnline(t, p, other, false)

		presDrop(t, p, u, "c1", false, "another connection is still live")
		presOnline(t, p, u, true)
		presDrop(t, p, u, "unknown", false, "dropping an unknown connection changes nothing")
		presDrop(t, p, u, "c2", true, "the last connection went away")
		st := presStatus(t, p, u)
		assert.False(t, st.Online)
		assert.WithinDuration(t, time.Now(), st.LastSeenAt, presSlack, "LastSeenAt is set when the user goes offline")

		presTouch(t, p, u, "c3", presLong, true, "coming back brings the user online again")
		presDrop(t, p, u, "c3", true, "")
	})

	t.Run("UsersAreIndependent", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		a, b := uniqueName("user"), uniqueName("user")
		presTouch(t, p, a, "same-conn-id", presLong, true, "")
		presTouch(t, p, b, "same-conn-id", presLong, true, "connection ids are per user")
		presDrop(t, p, a, "same-conn-id", true, "")
		presOnline(t, p, b, true)
		presDrop(t, p, b, "same-conn-id", true, "")
	})

	t.Run("ConnectionExpiresAfterTTL", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		u := uniqueName("user")
		before := time.Now()
		presTouch(t, p, u, "c1", presShort, true, "")
		presOnline(t, p, u, true)
		require.Eventually(t, func() bool { return !presStatus(t, p, u).Online }, presWait, presPeriod,
			"a connection not touched again expires after its ttl")
		st := presStatus(t, p, u)
		assert.False(t, st.LastSeenAt.IsZero(), "an expired user has been seen")
		assert.WithinDuration(t, before, st.LastSeenAt, presSlack)
		presTouch(t, p, u, "c1", presLong, true, "after expiry, a touch brings the user online again")
		presDrop(t, p, u, "c1", true, "")
	})

	t.Run("ExpiryKeepsOtherConnections", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		u := uniqueName("user")
		presTouch(t, p, u, "long", presLong, true, "")
		presTouch(t, p, u, "short", presShort, false, "")
		time.Sleep(2 * presShort)
		presOnline(t, p, u, true)
		presDrop(t, p, u, "long", true, "the short connection has expired, so this was the last live one")
	})

	t.Run("TouchRefreshesTTL", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		u := uniqueName("user")
		const ttl = time.Second
		presTouch(t, p, u, "c1", ttl, true, "")
		for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(ttl / 10) {
			// Had the refresh not extended the ttl, the connection would have expired and this touch
			// would bring the user online again.
			presTouch(t, p, u, "c1", ttl, false, "a refreshed connection stays live")
			presOnline(t, p, u, true)
		}
		presDrop(t, p, u, "c1", true, "")
	})

	t.Run("ExpiredUsersAreReportedOnce", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		gone, live, dropped := uniqueName("user"), uniqueName("user"), uniqueName("user")
		presTouch(t, p, gone, "c1", presShort, true, "online")
		presTouch(t, p, gone, "c2", presShort, false, "second connection")
		presTouch(t, p, live, "c1", presShort, true, "online")
		presTouch(t, p, dropped, "c1", presShort, true, "online")
		presDrop(t, p, dropped, "c1", true, "dropped: reported by Drop, not by Expire")
		mine := map[string]bool{gone: true, live: true, dropped: true}

		// Two sweepers race; together they report the expired user exactly once.
		var mu sync.Mutex
		var got []core.Presence
		sweep := func() {
			ps, err := p.Expire(t.Context(), 10000)
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			for _, st := range ps {
				if mine[st.UserID] {
					got = append(got, st)
				}
			}
		}
		deadline := time.Now().Add(presWait)
		for {
			presTouch(t, p, live, "c1", presShort, false, "kept alive")
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() { defer wg.Done(); sweep() }()
			}
			wg.Wait()
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(presPeriod)
		}
		sweep()
		require.Len(t, got, 1, "reported once: %v", got)
		assert.Equal(t, gone, got[0].UserID)
		assert.False(t, got[0].Online)
		assert.WithinDuration(t, time.Now(), got[0].LastSeenAt, presSlack)
		presOnline(t, p, gone, false)

		presTouch(t, p, gone, "c3", presShort, true, "back online")
		got = nil
		for time.Now().Before(deadline.Add(presWait)) && len(got) == 0 {
			time.Sleep(presPeriod)
			presTouch(t, p, live, "c1", presShort, false, "kept alive")
			sweep()
		}
		require.Len(t, got, 1, "reported again after being online again: %v", got)
		assert.Equal(t, gone, got[0].UserID)
	})

	t.Run("ConcurrentTransitionsHappenOnce", func(t *testing.T) {
		t.Parallel()
		p := newPresence(t)
		u := uniqueName("user")
		var onlines, offlines atomic.Int32
		var wg sync.WaitGroup
		for i := range presConns {
			wg.Go(func() {
				online, err := p.Touch(t.Context(), u, presConn(i), presLong)
				assert.NoError(t, err)
				if online {
					onlines.Add(1)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, onlines.Load(), "exactly one Touch brings the user online")
		for i := range presConns {
			wg.Go(func() {
				offline, err := p.Drop(t.Context(), u, presConn(i))
				assert.NoError(t, err)
				if offline {
					offlines.Add(1)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, offlines.Load(), "exactly one Drop takes the user offline")
		presOnline(t, p, u, false)
	})
}

func presConn(i int) string { return "conn-" + string(rune('a'+i)) }

func presTouch(t *testing.T, p ports.Presence, user, conn string, ttl time.Duration, want bool, msg string) {
	t.Helper()
	online, err := p.Touch(t.Context(), user, conn, ttl)
	require.NoError(t, err)
	assert.Equal(t, want, online, "Touch(%s): %s", conn, msg)
}

func presDrop(t *testing.T, p ports.Presence, user, conn string, want bool, msg string) {
	t.Helper()
	offline, err := p.Drop(t.Context(), user, conn)
	require.NoError(t, err)
	assert.Equal(t, want, offline, "Drop(%s): %s", conn, msg)
}

// presStatus returns user's presence; safe to call from a require.Eventually condition.
func presStatus(t *testing.T, p ports.Presence, user string) core.Presence {
	t.Helper()
	m, err := p.Status(t.Context(), []string{user})
	assert.NoError(t, err)
	assert.Contains(t, m, user)
	assert.Equal(t, user, m[user].UserID)
	return m[user]
}

func presOnline(t *testing.T, p ports.Presence, user string, want bool) {
	t.Helper()
	assert.Equal(t, want, presStatus(t, p, user).Online, "Status(%s).Online", user)
}
