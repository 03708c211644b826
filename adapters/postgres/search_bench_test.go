package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports/porttest"
)

// BenchmarkSearch loads 1,000,000 messages (SCALECHAT_BENCH_SEARCH_MESSAGES) into a fresh schema with COPY,
// builds the search index as Migrate does, and measures searches (porttest.BenchSearch); the log shows the
// plans. `make bench-search` runs it.
func BenchmarkSearch(b *testing.B) {
	s := newTestStore(b)
	c := porttest.NewSearchCorpus(porttest.SearchMessages(b, 1_000_000))
	loadSearchCorpus(b, s, c)
	porttest.BenchSearch(b, s, c, s.explainSearch)
}

// loadSearchCorpus copies c into s's empty schema, then builds the search index and vacuums and analyzes the
// tables, as a database in use would have them.
func loadSearchCorpus(b testing.TB, s *Store, c *porttest.SearchCorpus) {
	ctx := context.Background()
	t0 := time.Now()
	// Loading without the index and building it once is much faster than keeping it up row by row.
	_, err := s.pool.Exec(ctx, `DROP INDEX `+searchIndexName(s.cfg.SearchLanguage)+`, `+searchKeysIndexName(s.cfg.SearchLanguage))
	require.NoError(b, err)
	_, err = s.pool.CopyFrom(ctx, pgx.Identifier{"conversations"},
		[]string{"id", "kind", "title", "title_lower", "topic", "created_by", "last_seq", "created_at", "last_activity_at"},
		pgx.CopyFromSlice(len(c.Conversations), func(i int) ([]any, error) {
			v := c.Conversations[i]
			return []any{v.ID, string(v.Kind), v.Title, strings.ToLower(v.Title), "", v.CreatedBy, int64(0), v.CreatedAt, v.LastActivityAt}, nil
		}))
	require.NoError(b, err)
	_, err = s.pool.CopyFrom(ctx, pgx.Identifier{"members"}, []string{"conversation_id", "user_id", "role", "joined_at"},
		pgx.CopyFromSlice(len(c.Members), func(i int) ([]any, error) {
			v := c.Members[i]
			return []any{v.ConversationID, v.UserID, string(v.Role), v.JoinedAt}, nil
		}))
	require.NoError(b, err)
	rows := make(chan []any, 10000)
	go func() {
		defer close(rows)
		_ = c.EachMessage(func(m core.Message) error {
			rows <- []any{m.ID, m.ConversationID, m.Seq, m.SenderID, m.ClientMsgID, m.Body, "", ts(m.CreatedAt), tsPtr(m.EditedAt), tsPtr(m.DeletedAt)}
			return nil
		})
	}()
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"messages"},
		[]string{"id", "conversation_id", "seq", "sender_id", "client_msg_id", "body", "reply_to", "created_at", "edited_at", "deleted_at"},
		&chanSource{rows: rows})
	require.NoError(b, err)
	loaded := time.Since(t0)
	require.NoError(b, s.Migrate(ctx), "builds the search index")
	_, err = s.pool.Exec(ctx, `VACUUM ANALYZE conversations, members, messages`)
	require.NoError(b, err)
	b.Logf("loaded %d messages in %s, index built, vacuumed and analyzed in %s", n, loaded.Round(time.Second), (time.Since(t0) - loaded).Round(time.Second))
}

// explainSearch runs EXPLAIN ANALYZE of the statements Search runs for q.
func (s *Store) explainSearch(ctx context.Context, q core.SearchQuery) (string, error) {
	plans, _, err := s.searchPlans(ctx, q)
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("   q=%q conv=%q: %d statement(s), the first:", q.Text, q.ConversationID, len(plans))
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+plans[0].sql, plans[0].args...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	return out + "\n   " + strings.Join(lines, "\n   "), nil
}

// chanSource is a pgx.CopyFromSource reading rows from a channel.
type chanSource struct {
	rows <-chan []any
	row  []any
}

func (c *chanSource) Next() bool {
	var ok bool
	c.row, ok = <-c.rows
	return ok
}

func (c *chanSource) Values() ([]any, error) { return c.row, nil }

func (c *chanSource) Err() error { return nil }
