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

func TestSearchFindsWhatTheCallerCanReadNow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	conv := e.group(alice, bob)
	m := e.send(bob, conv, "the launch is on Friday")
	e.send(carol, e.group(carol), "launch codes")

	p, err := e.svc.Search(ctx, alice, core.SearchQuery{Text: "LAUNCH", UserID: carol})
	require.NoError(t, err)
	require.Len(t, p.Items, 1, "the caller's search, whatever UserID says")
	assert.Equal(t, m.ID, p.Items[0].Message.ID)
	assert.Equal(t, "the "+core.HighlightStart+"launch"+core.HighlightEnd+" is on Friday", p.Items[0].Highlight)

	require.NoError(t, e.svc.RemoveMember(ctx, alice, conv, bob))
	p, err = e.svc.Search(ctx, bob, core.SearchQuery{Text: "launch"})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "removed: nothing found there any more")
}

func TestSearchRefusesMalformedQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.user("alice")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, q := range map[string]core.SearchQuery{
		"empty":         {Text: "  "},
		"no word":       {Text: `"-" *`},
		"bad range":     {Text: "x", After: at, Before: at},
		"bad limit":     {Text: "x", Limit: -5},
		"bad cursor":    {Text: "x", Cursor: "!!"},
		"invalid UTF-8": {Text: "\xff"},
	} {
		_, err := e.svc.Search(context.Background(), alice, q)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, name)
	}
}

func TestSearchIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *chat.Config) { c.Limits = chat.Limits{chat.LimitSearch: {Limit: 2, Per: time.Minute}} })
	alice := e.user("alice")
	ctx := context.Background()
	for range 2 {
		_, err := e.svc.Search(ctx, alice, core.SearchQuery{Text: "x"})
		require.NoError(t, err)
	}
	_, err := e.svc.Search(ctx, alice, core.SearchQuery{Text: "x"})
	require.ErrorIs(t, err, core.ErrRateLimited)
	assert.Positive(t, core.AsError(err).RetryAfter)
	_, err = e.svc.Search(ctx, alice, core.SearchQuery{Text: ""})
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "malformed queries are refused before they count")
	e.clock.Advance(time.Minute)
	_, err = e.svc.Search(ctx, alice, core.SearchQuery{Text: "x"})
	assert.NoError(t, err)
}
