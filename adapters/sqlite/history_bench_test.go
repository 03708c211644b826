package sqlite

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalechat/scalechat/ports/porttest"
)

// BenchmarkHistory fills a fresh database with 1 million messages (SCALECHAT_BENCH_HISTORY_MESSAGES) and
// measures history and sync pages; the log shows SQLite's query plans.
func BenchmarkHistory(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "scalechat.db"))
	porttest.BenchHistory(b, porttest.HistoryStores{Ledger: s, Conversations: s, History: s, Explain: s.explainHistory},
		porttest.HistoryMessages(b, 1_000_000))
}

// explainHistory shows EXPLAIN QUERY PLAN of the history reads.
func (s *Store) explainHistory(ctx context.Context, conv string, seq int64) (string, error) {
	if _, err := s.w.ExecContext(ctx, "ANALYZE"); err != nil {
		return "", err
	}
	var out strings.Builder
	for _, q := range []struct {
		name string
		sql  string
		args []any
	}{
		{"latest page", sqlMessagesBefore, []any{conv, int64(math.MaxInt64), 51}},
		{"page before a seq", sqlMessagesBefore, []any{conv, seq, 51}},
		{"page after a seq", sqlMessagesAfter, []any{conv, seq, int64(math.MaxInt64), 51}},
		{"sync: events after a seq", sqlEventsAfter, []any{conv, seq, 51}},
	} {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			return "", fmt.Errorf("%s: %w", q.name, err)
		}
		fmt.Fprintf(&out, "-- %s\n", q.name)
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				_ = rows.Close()
				return "", err
			}
			fmt.Fprintf(&out, "   %s\n", detail)
		}
		_ = rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}
