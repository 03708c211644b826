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
	ctx := context.Background()
	s := newTestStore(b)
	c := porttest.NewSearchCorpus(porttest.SearchMessages(b, 1_000_000))
	t0 := time.Now()
	// Loading without the index and building it once is much faster than keeping it up row by row.
	_, err := s.pool.Exec(ctx, `DROP INDEX `+searchIndexName(s.cfg.SearchLanguage))
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
	_, err = s.pool.Exec(ctx, `ANALYZE conversations; ANALYZE members; ANALYZE messages`)
	require.NoError(b, err)
	b.Logf("loaded %d messages in %s, index built and analyzed in %s", n, loaded.Round(time.Second), (time.Since(t0) - loaded).Round(time.Second))
	porttest.BenchSearch(b, s, c, s.explainSearch)
}

// explainSearch runs EXPLAIN ANALYZE of the statement Search runs for q.
func (s *Store) explainSearch(ctx context.Context, q core.SearchQuery) (string, error) {
	query, args, _, err := s.searchStatement(q)
	if err != nil {
		return "", err
	}
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("   q=%q conv=%q\n   %s", q.Text, q.ConversationID, strings.Join(lines, "\n   ")), nil
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
