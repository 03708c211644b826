package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports/porttest"
)

// BenchmarkSearch loads 1,000,000 messages (SCALECHAT_BENCH_SEARCH_MESSAGES) into a fresh database in one
// transaction (the triggers fill the FTS5 index as the store's writes do) and measures searches
// (porttest.BenchSearch); the log shows the query plan. `make bench-search` runs it.
func BenchmarkSearch(b *testing.B) {
	c := porttest.NewSearchCorpus(porttest.SearchMessages(b, 1_000_000))
	s := loadSearchCorpus(b, c)
	porttest.BenchSearch(b, s, c, func(ctx context.Context, q core.SearchQuery) (string, error) {
		return explainSearch(ctx, s, q)
	})
}

// loadSearchCorpus returns a store holding c. SCALECHAT_BENCH_SEARCH_DB names a database file to keep: loaded
// when it does not exist, used as it is when it does (a corpus of another size or an older schema is the
// caller's mistake); else a fresh file in a temporary directory.
func loadSearchCorpus(b *testing.B, c *porttest.SearchCorpus) *Store {
	ctx := context.Background()
	path := os.Getenv("SCALECHAT_BENCH_SEARCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "search.db")
	} else if _, err := os.Stat(path); err == nil {
		b.Logf("using the corpus in %s", path)
		return openTest(b, path)
	}
	s := openTest(b, path)
	t0 := time.Now()
	tx, err := s.w.BeginTx(ctx, nil)
	require.NoError(b, err)
	for _, v := range c.Conversations {
		_, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, kind, title, title_lower, topic, created_by, created_at,
			last_activity_at) VALUES (?, ?, ?, ?, '', ?, ?, ?)`, v.ID, string(v.Kind), v.Title, strings.ToLower(v.Title),
			v.CreatedBy, toMS(v.CreatedAt), toMS(v.LastActivityAt))
		require.NoError(b, err)
	}
	for _, v := range c.Members {
		_, err := tx.ExecContext(ctx, `INSERT INTO members (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
			v.ConversationID, v.UserID, string(v.Role), toMS(v.JoinedAt))
		require.NoError(b, err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, body,
		created_at, edited_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	require.NoError(b, err)
	require.NoError(b, c.EachMessage(func(m core.Message) error {
		_, err := ins.ExecContext(ctx, m.ID, m.ConversationID, m.Seq, m.SenderID, m.ClientMsgID, m.Body, toMS(m.CreatedAt),
			toMSPtr(m.EditedAt), toMSPtr(m.DeletedAt))
		return err
	}))
	require.NoError(b, ins.Close())
	require.NoError(b, tx.Commit())
	_, err = s.w.ExecContext(ctx, `ANALYZE`)
	require.NoError(b, err)
	b.Logf("loaded %d messages in %s", c.Messages, time.Since(t0).Round(time.Second))
	return s
}

// explainSearch shows SQLite's query plans of the statements of Search.
func explainSearch(ctx context.Context, s *Store, q core.SearchQuery) (string, error) {
	var out []string
	for _, st := range []struct {
		name, sql string
		args      []any
	}{
		{"few matches", sqlSearchFew, []any{`"x"`, q.UserID, q.ConversationID, q.SenderID, 0, 0, 0, "", 21}},
		{"newest first", sqlSearchRecent, []any{`["c"]`, q.SenderID, 0, 0, 0, "", 21}},
	} {
		rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+st.sql, st.args...)
		if err != nil {
			return "", err
		}
		out = append(out, "   -- "+st.name)
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				_ = rows.Close()
				return "", err
			}
			out = append(out, "   "+detail)
		}
		if err := rows.Close(); err != nil {
			return "", err
		}
	}
	return strings.Join(out, "\n"), nil
}
