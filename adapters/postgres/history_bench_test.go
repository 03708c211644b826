package postgres

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scalechat/scalechat/ports/porttest"
)

// BenchmarkHistory fills a fresh schema with 10 million messages (SCALECHAT_BENCH_HISTORY_MESSAGES) and
// measures history and sync pages; the log shows the plans PostgreSQL runs them with.
func BenchmarkHistory(b *testing.B) {
	s := newTestStore(b)
	porttest.BenchHistory(b, porttest.HistoryStores{Ledger: s, Conversations: s, History: s, Explain: s.explainHistory},
		porttest.HistoryMessages(b, 10_000_000))
}

// explainHistory runs EXPLAIN ANALYZE of the history reads at seq of conv, with the generic plan a pooled
// connection settles on after a few executions of a prepared statement, not a plan made for these values.
func (s *Store) explainHistory(ctx context.Context, conv string, seq int64) (string, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "ANALYZE messages; ANALYZE events; SET plan_cache_mode = force_generic_plan"); err != nil {
		return "", err
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "RESET plan_cache_mode") }()
	var out strings.Builder
	for _, q := range []struct {
		name, sql, args string
	}{
		{"latest page", sqlMessagesBefore, fmt.Sprintf("'%s', %d, 51", conv, int64(math.MaxInt64))},
		{"page before a seq", sqlMessagesBefore, fmt.Sprintf("'%s', %d, 51", conv, seq)},
		{"page after a seq", sqlMessagesAfter, fmt.Sprintf("'%s', %d, %d, 51", conv, seq, int64(math.MaxInt64))},
		{"sync: events after a seq", sqlEventsAfter, fmt.Sprintf("'%s', %d, 51", conv, seq)},
	} {
		// PREPARE and EXECUTE, so that the plan shown is the generic one ($1, $2 ... in the conditions).
		if _, err := conn.Exec(ctx, "PREPARE history_q AS "+q.sql); err != nil {
			return "", fmt.Errorf("%s: %w", q.name, err)
		}
		lines, err := explainLines(ctx, conn, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE history_q("+q.args+")")
		if _, derr := conn.Exec(ctx, "DEALLOCATE history_q"); err == nil {
			err = derr
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", q.name, err)
		}
		fmt.Fprintf(&out, "-- %s\n", q.name)
		for _, l := range lines {
			fmt.Fprintf(&out, "   %s\n", l)
		}
	}
	return out.String(), nil
}

func explainLines(ctx context.Context, conn *pgxpool.Conn, sql string) ([]string, error) {
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
