package rest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

func TestProblemForEachCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{chat: chat.Config{SendRate: core.Rate{Limit: 1, Per: time.Hour}}})
	alice, bob := e.signUp("alice"), e.signUp("bob")
	direct := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "direct", "memberIds": []string{bob.id}}), 201)
	channel := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "channel", "title": "general"}), 201)

	t.Run("invalid_argument", func(t *testing.T) {
		p := requireProblem(t, e.do("POST", "/v1/users", "", map[string]string{"username": "no way!", "password": "long enough"}),
			400, "invalid_argument")
		require.Len(t, p.Errors, 1)
		assert.Equal(t, "body.username", p.Errors[0].Location)
	})
	t.Run("unauthenticated", func(t *testing.T) {
		r := e.do("GET", "/v1/users/me", "not-a-token", nil)
		requireProblem(t, r, 401, "unauthenticated")
		assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
	})
	t.Run("permission_denied", func(t *testing.T) {
		requireProblem(t, e.do("GET", "/v1/conversations/"+channel.ID+"/messages", bob.token, nil), 403, "permission_denied")
	})
	t.Run("not_found", func(t *testing.T) {
		requireProblem(t, e.do("GET", "/v1/users/nobody", alice.token, nil), 404, "not_found")
	})
	t.Run("already_exists", func(t *testing.T) {
		p := requireProblem(t, e.do("POST", "/v1/users", "", map[string]string{"username": "alice", "password": "password-x"}),
			409, "already_exists")
		assert.Equal(t, "username is taken", p.Detail)
	})
	t.Run("conflict", func(t *testing.T) {
		requireProblem(t, e.do("POST", "/v1/conversations/"+direct.ID+"/leave", alice.token, nil), 409, "conflict")
	})
	t.Run("rate_limited", func(t *testing.T) {
		path := "/v1/conversations/" + direct.ID + "/messages"
		decode[schema.Message](t, e.do("POST", path, bob.token, map[string]string{"body": "one"}), 201)
		r := e.do("POST", path, bob.token, map[string]string{"body": "two"})
		p := requireProblem(t, r, 429, "rate_limited")
		assert.Positive(t, p.RetryAfterMs)
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Positive(t, secs)
		assert.LessOrEqual(t, secs, 3600)
	})
	t.Run("internal", func(t *testing.T) {
		r := e.do("POST", "/v1/users", "", map[string]string{"username": "carol", "password": explodingPassword})
		p := requireProblem(t, r, 500, "internal")
		assert.Equal(t, "internal error", p.Detail)
		assert.NotContains(t, string(r.body), "disk on fire")
		assert.Contains(t, e.logs.String(), "disk on fire", "the cause is logged")
	})
}

func TestProblemUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noSequencer: true, chat: chat.Config{AckTimeout: 20 * time.Millisecond}})
	alice := e.signUp("alice")
	group := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "g"}), 201)
	requireProblem(t, e.do("POST", "/v1/conversations/"+group.ID+"/messages", alice.token, map[string]string{"body": "hi"}),
		503, "unavailable")
}

func TestRequestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice := e.signUp("alice")
	group := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "g"}), 201)
	send := "/v1/conversations/" + group.ID + "/messages"

	t.Run("malformed JSON", func(t *testing.T) {
		r := e.do("POST", "/v1/users", "", `{"username": "dave", "password": "hunter2-secret"`)
		p := requireProblem(t, r, 400, "invalid_argument")
		require.NotEmpty(t, p.Errors)
		assert.Equal(t, "body", p.Errors[0].Location)
		assert.NotContains(t, string(r.body), "hunter2-secret", "input is not echoed")
	})
	t.Run("non-string body", func(t *testing.T) {
		p := requireProblem(t, e.do("POST", send, alice.token, `{"body": 123}`), 400, "invalid_argument")
		require.NotEmpty(t, p.Errors)
		assert.Equal(t, "body.body", p.Errors[0].Location)
	})
	t.Run("missing field", func(t *testing.T) {
		requireProblem(t, e.do("POST", send, alice.token, `{}`), 400, "invalid_argument")
	})
	t.Run("empty body", func(t *testing.T) {
		requireProblem(t, e.do("POST", send, alice.token, ``), 400, "invalid_argument")
	})
	t.Run("unknown kind", func(t *testing.T) {
		requireProblem(t, e.do("POST", "/v1/conversations", alice.token, map[string]any{"kind": "secret"}), 400, "invalid_argument")
	})
	t.Run("white space body", func(t *testing.T) {
		p := requireProblem(t, e.do("POST", send, alice.token, map[string]string{"body": "   "}), 400, "invalid_argument")
		require.Len(t, p.Errors, 1)
		assert.Equal(t, "body.body", p.Errors[0].Location)
	})
	t.Run("bad limit", func(t *testing.T) {
		p := requireProblem(t, e.do("GET", "/v1/conversations?limit=0", alice.token, nil), 400, "invalid_argument")
		require.NotEmpty(t, p.Errors)
		assert.Equal(t, "query.limit", p.Errors[0].Location)
		requireProblem(t, e.do("GET", send+"?before=abc", alice.token, nil), 400, "invalid_argument")
	})
	t.Run("too large", func(t *testing.T) {
		big := `{"body": "` + strings.Repeat("x", rest.DefaultMaxBodyBytes) + `"}`
		requireProblem(t, e.do("POST", send, alice.token, big), 413, "too_large")
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice := e.signUp("alice")

	r := e.do("GET", "/v1/users/me", "", nil)
	requireProblem(t, r, 401, "unauthenticated")
	assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))

	r = e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "wrong password"})
	requireProblem(t, r, 401, "unauthenticated")

	r = e.do("POST", "/v1/sessions", "", map[string]string{"username": "alice", "password": "password-alice"})
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	s := decode[rest.Session](t, r, 201)
	assert.True(t, s.ExpiresAt.After(time.Now()))
	assert.Equal(t, time.UTC, s.ExpiresAt.Location())

	me := decode[schema.User](t, e.do("GET", "/v1/users/me", alice.token, nil), 200)
	assert.Equal(t, alice.id, me.ID)
	assert.Equal(t, "alice", me.Username)

	assert.Equal(t, 204, e.do("DELETE", "/v1/sessions/current", alice.token, nil).status)
	requireProblem(t, e.do("GET", "/v1/users/me", alice.token, nil), 401, "unauthenticated")
	decode[schema.User](t, e.do("GET", "/v1/users/me", s.Token, nil), 200) // the other session lives on
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	// "/" belongs to the web app (mounted next to the API by the server); the API alone has nothing there.
	requireProblem(t, e.do("GET", "/", "", nil), 404, "not_found")
	requireProblem(t, e.do("GET", "/no/such/thing", "", nil), 404, "not_found")
	requireProblem(t, e.do("GET", "/v1/nothing", "", nil), 404, "not_found")
}
