package realtime_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// A socket lives no longer than the session that authenticated it: logging out ends that session's sockets
// (websocket and long-polling alike) within a second, with a server disconnect the client does not retry,
// while the same user's other session keeps its socket and chats on.
func TestLogOutEndsTheSessionsSockets(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
	conv := alice.createGroup(t, bob)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	l, err := s.rest(t, "").CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: alice.Username,
		Password: alice.Username + "-password"})
	wantStatus(t, l, err, http.StatusCreated)
	other := &user{ID: alice.ID, Username: alice.Username, Token: l.JSON201.Token, api: s.rest(t, l.JSON201.Token), s: s}

	ws, polling, kept := alice.dial(t, "websocket"), alice.dial(t, "polling"), other.dial(t, "websocket")
	r, err := alice.api.DeleteCurrentSessionWithResponse(ctx)
	wantStatus(t, r, err, http.StatusNoContent)
	loggedOut := time.Now()
	for _, c := range []*client{ws, polling} {
		select {
		case reason := <-c.disconnects:
			assert.Equal(t, "io server disconnect", reason, c.name)
			assert.Less(t, time.Since(loggedOut), time.Second, "%s: ended within a second of the logout", c.name)
		case <-time.After(waitFor):
			t.Fatalf("%s: still connected %s after its session was logged out", c.name, waitFor)
		}
	}
	time.Sleep(quiet)
	for _, c := range []*client{ws, polling} {
		assert.False(t, c.sock.Connected(), "%s: the client does not reconnect with the ended session", c.name)
	}
	requireEmpty(t, kept.disconnects, "disconnect of the other session's socket")
	m := kept.send(t, s, conv.Id, "still here")
	assert.Equal(t, m.Id, kept.nextEvent(t, conv.Id).Data.Message.Id)
}

// A socket's session expiring ends it too, without a request to notice.
func TestExpiredSessionEndsItsSockets(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--session-ttl", "3s")
	alice := s.signUp(t, "alice")
	c := alice.dial(t, "websocket")
	select {
	case reason := <-c.disconnects:
		assert.Equal(t, "io server disconnect", reason)
	case <-time.After(waitFor):
		t.Fatalf("still connected %s after a 3 s session", waitFor)
	}
	time.Sleep(quiet)
	require.False(t, c.sock.Connected(), "the client does not reconnect with the expired session")
}
