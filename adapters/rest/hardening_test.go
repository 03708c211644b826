package rest_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestLogInIsLimitedPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{chat: chat.Config{Limits: chat.Limits{
		chat.LimitLoginUser: {Limit: 3, Per: time.Hour}, chat.LimitLoginIP: {Limit: 5, Per: time.Hour},
		chat.LimitRegisterIP: {Limit: 2, Per: time.Hour}}}})
	e.signUp("alice") // register 1, log-in 1 of the address
	for range 2 {
		requireProblem(t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "wrong-password"}), 401, "unauthenticated")
	}
	r := e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "password-alice"})
	p := requireProblem(t, r, 429, "rate_limited")
	assert.Positive(t, p.RetryAfterMs)
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err)
	assert.Positive(t, secs)

	requireProblem(t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "other", "password": "whatever-1"}), 401, "unauthenticated")
	requireProblem(t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "other2", "password": "whatever-1"}), 429, "rate_limited")

	decode[schema.User](t, e.do("POST", "/v1/users", "", map[string]string{"username": "bob", "password": "password-bob"}), 201)
	requireProblem(t, e.do("POST", "/v1/users", "", map[string]string{"username": "carol", "password": "password-carol"}), 429, "rate_limited")
}

func TestBlocksAndPresenceOverREST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice, bob, eve := e.signUp("alice"), e.signUp("bob"), e.signUp("eve")
	requireProblem(t, e.do("PUT", "/v1/blocks/"+bob.id, bob.token, nil), 400, "invalid_argument")
	requireProblem(t, e.do("PUT", "/v1/blocks/nobody", bob.token, nil), 404, "not_found")
	require.Equal(t, 204, e.do("PUT", "/v1/blocks/"+eve.id, bob.token, nil).status)
	require.Equal(t, 204, e.do("PUT", "/v1/blocks/"+eve.id, bob.token, nil).status)
	list := decode[rest.BlockList](t, e.do("GET", "/v1/blocks", bob.token, nil), 200)
	require.Len(t, list.Items, 1)
	assert.Equal(t, eve.id, list.Items[0].UserID)

	requireProblem(t, e.do("POST", "/v1/conversations", eve.token, map[string]any{"kind": "direct", "memberIds": []string{bob.id}}), 403, "permission_denied")
	g := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", eve.token, map[string]any{"kind": "group", "title": "g", "memberIds": []string{alice.id}}), 201)
	requireProblem(t, e.do("POST", "/v1/conversations/"+g.ID+"/members", eve.token, map[string]any{"userIds": []string{bob.id}}), 403, "permission_denied")

	// Presence: eve shares a group with alice, none with bob; strangers and blockers look offline and unseen.
	require.NoError(t, e.svc.Connected(t.Context(), alice.id, "n/a"))
	require.NoError(t, e.svc.Connected(t.Context(), bob.id, "n/b"))
	ps := decode[rest.PresenceList](t, e.do("GET", "/v1/presence?userIds="+alice.id+","+bob.id, eve.token, nil), 200)
	assert.Equal(t, "online", ps.Items[0].Status)
	assert.Equal(t, "offline", ps.Items[1].Status)
	assert.Nil(t, ps.Items[1].LastSeenAt)

	require.Equal(t, 204, e.do("DELETE", "/v1/blocks/"+eve.id, bob.token, nil).status)
	decode[schema.Conversation](t, e.do("POST", "/v1/conversations", eve.token, map[string]any{"kind": "direct", "memberIds": []string{bob.id}}), 201)
	ps = decode[rest.PresenceList](t, e.do("GET", "/v1/presence?userIds="+bob.id, eve.token, nil), 200)
	assert.Equal(t, "online", ps.Items[0].Status, "a direct conversation makes them contacts")
}

func TestPasswordChangeAndLogOutEverywhereOverREST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.signUp("alice")
	other := decode[rest.Session](t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "password-alice"}), 201)

	p := requireProblem(t, e.do("PUT", "/v1/users/me/password", a.token, map[string]string{"currentPassword": "nope", "newPassword": "a new password"}), 403, "permission_denied")
	require.Len(t, p.Errors, 1)
	assert.Equal(t, "body.currentPassword", p.Errors[0].Location)
	requireProblem(t, e.do("PUT", "/v1/users/me/password", a.token, map[string]string{"currentPassword": "password-alice", "newPassword": "short"}), 400, "invalid_argument")
	require.Equal(t, 200, e.do("GET", "/v1/users/me", other.Token, nil).status, "refused changes end nothing")

	require.Equal(t, 204, e.do("PUT", "/v1/users/me/password", a.token, map[string]string{"currentPassword": "password-alice", "newPassword": "a new password"}).status)
	require.Equal(t, 200, e.do("GET", "/v1/users/me", a.token, nil).status)
	requireProblem(t, e.do("GET", "/v1/users/me", other.Token, nil), 401, "unauthenticated")
	requireProblem(t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "password-alice"}), 401, "unauthenticated")
	third := decode[rest.Session](t, e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "a new password"}), 201)

	require.Equal(t, 204, e.do("DELETE", "/v1/sessions", a.token, nil).status)
	for _, tok := range []string{a.token, third.Token} {
		requireProblem(t, e.do("GET", "/v1/users/me", tok, nil), 401, "unauthenticated")
	}
}

func TestMetricsCanMoveOffTheAPI(t *testing.T) {
	t.Parallel()
	on := newEnv(t, envOptions{})
	assert.Equal(t, 200, on.do("GET", "/metrics", "", nil).status)
	off := newEnv(t, envOptions{rest: rest.Config{NoMetrics: true}})
	requireProblem(t, off.do("GET", "/metrics", "", nil), 404, string(core.CodeNotFound))
}

// Field names are the contract's, exactly: a property repeated in another letter case, or spelt in another
// case alone, is refused and changes nothing (it used to be validated as one value and stored as another).
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.signUp("alice")
	g := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", a.token, map[string]any{"kind": "group", "title": "g"}), 201)
	for _, body := range []string{`{"body":"x","BODY":"y"}`, `{"BODY":"y"}`, `{"body":"x","Body":"y","clientMsgId":"c1"}`} {
		p := requireProblem(t, e.do("POST", "/v1/conversations/"+g.ID+"/messages", a.token, body), 400, "invalid_argument")
		assert.NotEmpty(t, p.Errors, body)
	}
	requireProblem(t, e.do("POST", "/v1/users", "", `{"username":"ken","password":"password-ken","Username":"KEN2"}`), 400, "invalid_argument")
	requireProblem(t, e.do("POST", "/v1/conversations", a.token, `{"kind":"group","title":"ok","Title":"other"}`), 400, "invalid_argument")
	msgs := decode[rest.MessageList](t, e.do("GET", "/v1/conversations/"+g.ID+"/messages", a.token, nil), 200)
	assert.Empty(t, msgs.Items)
}
