package rest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
)

// Text with nothing visible is empty and stores nothing; a display name cannot turn itself around with bidi
// controls.
func TestInvisibleAndBidiText(t *testing.T) {
	t.Parallel()
	e, alice, direct := aliceAndBob(t)
	path := "/v1/conversations/" + direct.ID + "/messages"

	// Text a JSON decoder would quietly turn into U+FFFD is refused before it is decoded.
	for name, raw := range map[string]string{
		"invalid UTF-8":                  "{\"body\":\"caf\xe9\"}",
		"a lone high surrogate":          `{"body":"x\ud800y"}`,
		"a lone low surrogate":           `{"body":"\udc00"}`,
		"a high surrogate at the end":    `{"body":"\uD83D"}`,
		"two high surrogates":            `{"body":"\ud83d\ud83d"}`,
		"a high surrogate, then a non-u": `{"body":"\ud83d\n"}`,
	} {
		p := requireProblem(t, e.do("POST", path, alice.token, raw), 400, "invalid_argument")
		require.NotEmpty(t, p.Errors, name)
		assert.Equal(t, "body", p.Errors[0].Location, name)
		assert.NotContains(t, p.Detail, "Go", name)
	}
	for _, body := range []string{"\u200b\ufeff\u200b", " \u3164 "} { // zero-width spaces and a BOM; fillers
		requireProblem(t, e.do("POST", path, alice.token, map[string]string{"body": body}), 400, "invalid_argument")
	}
	// Nothing of the above was stored.
	page := decode[rest.MessageList](t, e.do("GET", path, alice.token, nil), 200)
	assert.Empty(t, page.Items)

	// A real surrogate pair (an emoji) and non-ASCII UTF-8 go through.
	for _, raw := range []string{`{"body":"\ud83d\ude00"}`, `{"body":"C:\\udir"}`, `{"body":"Zoë, 李, \u00e9"}`} {
		m := decode[schema.Message](t, e.do("POST", path, alice.token, raw), 201)
		assert.NotContains(t, m.Body, "\ufffd")
	}

	// Display names: bidi controls are refused, invisible-only names fall back to the username.
	p := requireProblem(t, e.do("POST", "/v1/users", "", map[string]string{"username": "mallory",
		"password": "long enough", "displayName": "evil\u202egnp.exe"}), 400, "invalid_argument")
	require.Len(t, p.Errors, 1)
	assert.Equal(t, "body.displayName", p.Errors[0].Location)
	assert.True(t, strings.Contains(p.Detail, "bidirectional"), p.Detail)
}

// Errors name fields and JSON types, never Go types, also for a number the schema lets through but no integer
// holds.
func TestDecodingErrorsNameNoGoTypes(t *testing.T) {
	t.Parallel()
	e, alice, direct := aliceAndBob(t)
	for _, raw := range []string{`{"seq":1e30}`, `{"seq":99999999999999999999}`, `{"seq":"x"}`} {
		p := requireProblem(t, e.do("POST", "/v1/conversations/"+direct.ID+"/read", alice.token, raw), 400,
			"invalid_argument")
		require.Len(t, p.Errors, 1, raw)
		assert.Equal(t, "body.seq", p.Errors[0].Location, raw)
		for _, goWord := range []string{"Go ", "int64", "MarkReadRequest", "struct"} {
			assert.NotContains(t, p.Errors[0].Message+p.Detail, goWord, raw)
		}
	}
}

// aliceAndBob starts an API with two users and a direct conversation of theirs.
func aliceAndBob(t *testing.T) (*env, user, schema.Conversation) {
	e := newEnv(t, envOptions{})
	alice, bob := e.signUp("alice"), e.signUp("bob")
	direct := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "direct", "memberIds": []string{bob.id}}), 201)
	return e, alice, direct
}
