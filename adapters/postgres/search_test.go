package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
	"github.com/scalechat/scalechat/ports/porttest"
)

// TestSearchNewestFirstPlan runs the search contract with every search on the newest-first plan (reading the
// viewer's messages newest first), in batches of 3 (then the matches plan).
func TestSearchNewestFirstPlan(t *testing.T) {
	porttest.TestSearchStore(t, func(t *testing.T) porttest.Stores {
		s := newTestStore(t)
		s.searchBias, s.searchMinBatch = 0, 3
		return porttest.Stores{Users: s, Sessions: s, Conversations: s, Members: s, Summaries: s, History: s, Ledger: s, Contacts: s,
			Blocks: s, Search: s}
	})
}

func TestSearchLanguageIsCheckedAndIndexed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := Open(ctx, Config{URL: testURL(t), SearchLanguage: "english; DROP TABLE users"})
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "not an identifier")

	cfg := testConfig(t)
	cfg.SearchLanguage = "klingon"
	err = Migrate(ctx, cfg)
	assert.ErrorIs(t, err, core.ErrInvalidArgument, "unknown to the server")
	assert.Contains(t, core.AsError(err).Message, "klingon")

	cfg.SearchLanguage = "english"
	s := openTest(t, cfg)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Migrate(ctx), "the index exists already: a no-op")
	var indexes []string
	rows, err := s.pool.Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'messages_search_%'`, cfg.Schema)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		indexes = append(indexes, n)
	}
	require.NoError(t, rows.Err())
	assert.ElementsMatch(t, []string{"messages_search_english", "messages_search_keys_english"}, indexes)

	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	_, _, err = s.CreateConversation(ctx, core.Conversation{ID: "c1", Kind: core.KindGroup, Title: "T", CreatedBy: "u1",
		CreatedAt: at, LastActivityAt: at}, []core.Member{{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner, JoinedAt: at}})
	require.NoError(t, err)
	msg := core.Message{ID: "m1", ConversationID: "c1", Seq: 1, SenderID: "u1", ClientMsgID: "k1", Body: "The foxes were jumping", CreatedAt: at}
	require.NoError(t, s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
		return tx.Append(ctx, core.Event{ConversationID: "c1", Seq: 1, Type: core.EventMessageCreated, At: at, ActorID: "u1", Message: &msg})
	}))
	p, err := s.Search(ctx, core.SearchQuery{UserID: "u1", Text: "fox jumped"})
	require.NoError(t, err)
	require.Len(t, p.Items, 1, "english stems")
	assert.Equal(t, "The "+core.HighlightStart+"foxes"+core.HighlightEnd+" were "+core.HighlightStart+"jumping"+core.HighlightEnd,
		p.Items[0].Highlight)
	p, err = s.Search(ctx, core.SearchQuery{UserID: "u1", Text: `"foxes were jumping"`})
	require.NoError(t, err)
	assert.Len(t, p.Items, 1, "a phrase with a stop word inside has no adjacent pairs once parsed: found by its words")
	p, err = s.Search(ctx, core.SearchQuery{UserID: "u1", Text: `"fox jumps"`})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "the stop word between them still counts as a position")
	p, err = s.Search(ctx, core.SearchQuery{UserID: "u1", Text: `"the foxes"`})
	require.NoError(t, err)
	assert.Len(t, p.Items, 1, "a stop word dropped from a phrase")
	p, err = s.Search(ctx, core.SearchQuery{UserID: "u1", Text: "the were"})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "stop words only match nothing")
}
