package porttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// HistoryStores are what BenchHistory fills and reads.
type HistoryStores struct {
	Ledger        ports.Ledger
	Conversations ports.ConversationStore
	History       ports.HistoryStore
	// Explain, when set, prints how the store runs the history reads of conversation conv around seq (the
	// query plans, with their timings), once the store is filled.
	Explain func(ctx context.Context, conv string, seq int64) (string, error)
}

// HistoryMessages is the size BenchHistory fills: SCALECHAT_BENCH_HISTORY_MESSAGES when set, else def.
func HistoryMessages(b *testing.B, def int) int {
	if v := os.Getenv("SCALECHAT_BENCH_HISTORY_MESSAGES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "SCALECHAT_BENCH_HISTORY_MESSAGES")
		require.Positive(b, n, "SCALECHAT_BENCH_HISTORY_MESSAGES")
		return n
	}
	return def
}

// historyPerConv is the length of each conversation BenchHistory fills.
const historyPerConv = 5000

// BenchHistory fills a store with messages (conversations of 5,000 messages each, written by the store's
// own Append in large transactions: the fast loader) and measures the reads a client makes of them: the
// latest page, a page before a random seq (scrolling back), a page after one (catching up) and a sync page of
// events after one — pages of 50, at random conversations and cursors. It reports the fill rate, each read's
// p50 and p99 and, through Explain, the plans. `make bench-history` runs it on SQLite and PostgreSQL.
func BenchHistory(b *testing.B, s HistoryStores, messages int) {
	ctx := context.Background()
	convs := fillHistory(b, s, messages)
	perConv := int64(min(messages, historyPerConv))
	if s.Explain != nil {
		plan, err := s.Explain(ctx, convs[len(convs)/2], perConv/2)
		require.NoError(b, err)
		b.Logf("plans at %d messages:\n%s", messages, plan)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	cursor := func() int64 { return 1 + rnd.Int64N(perConv) }
	for _, read := range []struct {
		name string
		do   func(conv string) (int, error)
	}{
		{"latest", func(conv string) (int, error) {
			msgs, _, err := s.History.Messages(ctx, conv, core.HistoryQuery{Limit: 50})
			return len(msgs), err
		}},
		{"before", func(conv string) (int, error) {
			msgs, _, err := s.History.Messages(ctx, conv, core.HistoryQuery{Before: cursor(), Limit: 50})
			return len(msgs), err
		}},
		{"after", func(conv string) (int, error) {
			msgs, _, err := s.History.Messages(ctx, conv, core.HistoryQuery{After: cursor(), Limit: 50})
			return len(msgs), err
		}},
		{"sync", func(conv string) (int, error) {
			evs, _, err := s.History.Events(ctx, conv, cursor(), 50)
			return len(evs), err
		}},
	} {
		b.Run(read.name, func(b *testing.B) {
			took := make([]time.Duration, 0, b.N)
			rows := 0
			for b.Loop() {
				conv := convs[rnd.IntN(len(convs))]
				t0 := time.Now()
				n, err := read.do(conv)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			require.Positive(b, rows, "the reads found messages")
			slices.Sort(took)
			at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
			b.ReportMetric(at(0.5), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
			b.ReportMetric(float64(rows)/float64(len(took)), "rows/page")
		})
	}
}

// fillHistory creates messages/5000 group conversations (at least one) and appends their messages, 10,000
// events per transaction from two writers, returning the conversation ids.
func fillHistory(b *testing.B, s HistoryStores, messages int) []string {
	ctx := context.Background()
	perConv := min(messages, historyPerConv)
	n := (messages + perConv - 1) / perConv
	at := time.Now().UTC().Add(-time.Duration(messages) * time.Millisecond).Truncate(time.Millisecond)
	convs := make([]string, n)
	for i := range convs {
		id := fmt.Sprintf("h%06d", i)
		ms := []core.Member{{ConversationID: id, UserID: "reader", Role: core.RoleOwner, JoinedAt: at},
			{ConversationID: id, UserID: "writer", Role: core.RoleMember, JoinedAt: at}}
		_, _, err := s.Conversations.CreateConversation(ctx, core.Conversation{ID: id, Kind: core.KindGroup, Title: id,
			CreatedBy: "reader", CreatedAt: at, LastActivityAt: at}, ms)
		require.NoError(b, err)
		convs[i] = id
	}
	const perTx, convsPerTx = 10000, 2
	start := time.Now()
	work := make(chan int) // index of the first of convsPerTx conversations, filled whole
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			for first := range work {
				if err := fillConvs(ctx, s.Ledger, convs[first:min(first+convsPerTx, n)], perConv, perTx, at); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for first := 0; first < n; first += convsPerTx {
		select {
		case work <- first:
		case err := <-errs:
			close(work)
			b.Fatal(err)
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	took := time.Since(start)
	b.Logf("filled %d messages in %d conversations in %s: %.0f messages/s", n*perConv, n, took.Round(time.Second),
		float64(n*perConv)/took.Seconds())
	return convs
}

// fillConvs appends perConv messages to each of convs, in transactions of about perTx events.
func fillConvs(ctx context.Context, ledger ports.Ledger, convs []string, perConv, perTx int, at time.Time) error {
	step := max(1, perTx/len(convs))
	for from := 1; from <= perConv; from += step {
		to := min(perConv, from+step-1)
		events := make([]core.Event, 0, len(convs)*(to-from+1))
		for _, c := range convs {
			for seq := from; seq <= to; seq++ {
				sender := "writer"
				if seq%3 == 0 {
					sender = "reader"
				}
				m := core.Message{ID: fmt.Sprintf("%s-%d", c, seq), ConversationID: c, Seq: int64(seq), SenderID: sender,
					ClientMsgID: fmt.Sprintf("k%d", seq), Body: fmt.Sprintf("history message %d of %s, a line of ordinary length", seq, c),
					CreatedAt: at.Add(time.Duration(seq) * time.Millisecond)}
				events = append(events, core.Event{ConversationID: c, Seq: m.Seq, Type: core.EventMessageCreated,
					At: m.CreatedAt, ActorID: sender, Message: &m})
			}
		}
		if err := ledger.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
			return tx.Append(ctx, events...)
		}); err != nil {
			return err
		}
	}
	return nil
}
