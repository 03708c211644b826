package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// BenchSequencer measures a store's sequencing stage alone: one worker's batches of sends, spread over
// conversations of 10 members, sequenced by chat.Sequencer into the store (the fan-out drops everything).
// It reports msg/s beside the time of one batch. `make bench-sequencer` runs it on SQLite and PostgreSQL.
func BenchSequencer(b *testing.B, newStore func(b *testing.B) (ports.Ledger, ports.ConversationStore)) {
	for _, tc := range []struct{ batch, convs int }{{1, 1}, {10, 10}, {100, 1}, {100, 50}, {500, 200}} {
		b.Run(fmt.Sprintf("batch=%d/convs=%d", tc.batch, tc.convs), func(b *testing.B) {
			ctx := context.Background()
			ledger, convStore := newStore(b)
			const members = 10
			at := time.Now().UTC().Truncate(time.Millisecond)
			convs := BenchGroups(b, convStore, "c", tc.convs, members, at)
			q := chat.NewSequencer(ledger, dropFanout{}, nil)
			batch := make([]core.SendCommand, tc.batch)
			n := 0
			b.ResetTimer()
			for range b.N {
				for k := range batch {
					c := k % tc.convs
					batch[k] = core.SendCommand{ID: fmt.Sprint("cmd", n), ConversationID: convs[c],
						SenderID: BenchMember(convs[c], n%members), MessageID: fmt.Sprint("m", n),
						ClientMsgID: fmt.Sprint("k", n), Body: "benchmark message", At: at}
					n++
				}
				if err := q.Handle(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}

// BenchGroups creates n group conversations (ids prefix0000, prefix0001, ...) of members members each,
// BenchMember(id, 0) to BenchMember(id, members-1), and returns their ids.
func BenchGroups(tb testing.TB, store ports.ConversationStore, prefix string, n, members int, at time.Time) []string {
	ids := make([]string, n)
	for i := range ids {
		id := fmt.Sprintf("%s%04d", prefix, i)
		ms := make([]core.Member, members)
		for j := range ms {
			ms[j] = core.Member{ConversationID: id, UserID: BenchMember(id, j), Role: core.RoleMember, JoinedAt: at}
		}
		_, _, err := store.CreateConversation(context.Background(), core.Conversation{ID: id, Kind: core.KindGroup,
			Title: id, CreatedBy: ms[0].UserID, CreatedAt: at, LastActivityAt: at}, ms)
		require.NoError(tb, err)
		ids[i] = id
	}
	return ids
}

// BenchMember is member j of a conversation made by BenchGroups.
func BenchMember(conv string, j int) string { return fmt.Sprintf("%s-u%d", conv, j) }

// dropFanout is a fan-out with no subscribers.
type dropFanout struct{}

func (dropFanout) Publish(context.Context, string, ...core.Envelope) error       { return nil }
func (dropFanout) PublishMany(context.Context, []string, ...core.Envelope) error { return nil }
func (dropFanout) PublishAll(context.Context, ...ports.Publication) error        { return nil }
func (dropFanout) Subscribe(context.Context, func(string, core.Envelope)) (ports.Subscription, error) {
	return nil, core.Errorf(core.CodeUnavailable, "no subscriptions")
}
