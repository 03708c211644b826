package rest_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice, bob, carol := e.signUp("alice"), e.signUp("bob"), e.signUp("carol")
	conv := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "launch", "memberIds": []string{bob.id}}), 201)
	sent := decode[schema.Message](t, e.do("POST", "/v1/conversations/"+conv.ID+"/messages", bob.token,
		map[string]any{"body": "The rocket launches on Friday"}), 201)
	decode[schema.Message](t, e.do("POST", "/v1/conversations/"+conv.ID+"/messages", alice.token,
		map[string]any{"body": "weather permitting"}), 201)
	search := func(u user, query string) rest.SearchResults {
		t.Helper()
		return decode[rest.SearchResults](t, e.do("GET", "/v1/search?"+query, u.token, nil), 200)
	}

	for _, u := range []user{alice, bob} {
		res := search(u, "q="+url.QueryEscape(`ROCKET "on friday"`))
		require.Len(t, res.Items, 1)
		assert.Equal(t, sent, res.Items[0].Message, "the message as history shows it")
		assert.Equal(t, "The "+core.HighlightStart+"rocket"+core.HighlightEnd+" launches "+core.HighlightStart+"on"+
			core.HighlightEnd+" "+core.HighlightStart+"Friday"+core.HighlightEnd, res.Items[0].Highlight)
		assert.Empty(t, res.Next)
	}
	assert.Len(t, search(alice, "q=rocket&conversationId="+conv.ID+"&senderId="+bob.id).Items, 1)
	assert.Empty(t, search(alice, "q=rocket&senderId="+alice.id).Items)
	assert.Empty(t, search(alice, "q=rocket&after="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))).Items)
	assert.Len(t, search(alice, "q=rocket&before="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))).Items, 1)
	r := e.do("GET", "/v1/search?q=rocket", carol.token, nil)
	assert.JSONEq(t, `{"items": []}`, string(r.body), "a non-member finds nothing")

	page := search(alice, "q=weather+OR+rocket&limit=1")
	assert.Empty(t, page.Items, `"or" is a word: all three must occur`)

	require.Equal(t, 204, e.do("DELETE", "/v1/conversations/"+conv.ID+"/members/"+bob.id, alice.token, nil).status)
	assert.Empty(t, search(bob, "q=rocket").Items, "removed: finds nothing any more")
	assert.Len(t, search(alice, "q=rocket").Items, 1)

	for name, query := range map[string]string{
		"no q":          "",
		"empty q":       "q=",
		"only symbols":  "q=" + url.QueryEscape(`"" - *`),
		"too long":      "q=" + stringOf('a', 201),
		"bad cursor":    "q=rocket&cursor=%25%25",
		"bad date":      "q=rocket&after=yesterday",
		"empty range":   "q=rocket&after=2024-01-02T00:00:00Z&before=2024-01-01T00:00:00Z",
		"invalid utf-8": "q=%FF",
	} {
		p := requireProblem(t, e.do("GET", "/v1/search?"+query, alice.token, nil), 400, "invalid_argument")
		assert.NotEmpty(t, p.Detail, name)
	}
	requireProblem(t, e.do("GET", "/v1/search?q=rocket", "", nil), 401, "unauthenticated")
}

func stringOf(r rune, n int) string {
	out := make([]rune, n)
	for i := range out {
		out[i] = r
	}
	return string(out)
}
