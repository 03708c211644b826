package porttest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
)

// TestHistoryStore checks the ports.HistoryStore contract. newStore must return empty stores.
func TestHistoryStore(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("message lookups", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "A", stAt(1), "u1", "u2")
		f.conv("c2", core.KindGroup, "B", stAt(1), "u1")
		m := f.send("c1", "u1", "hello")
		got, err := f.s.History.Message(f.ctx, "c1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(m), stNormMessage(got))
		got, err = f.s.History.MessageByClientMsgID(f.ctx, "c1", "u1", m.ClientMsgID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(m), stNormMessage(got))

		for name, err := range map[string]error{
			"unknown id":                  stErr(f.s.History.Message(f.ctx, "c1", "nope")),
			"id in another conversation":  stErr(f.s.History.Message(f.ctx, "c2", m.ID)),
			"unknown clientMsgId":         stErr(f.s.History.MessageByClientMsgID(f.ctx, "c1", "u1", "nope")),
			"clientMsgId of other sender": stErr(f.s.History.MessageByClientMsgID(f.ctx, "c1", "u2", m.ClientMsgID)),
			"clientMsgId in other conv":   stErr(f.s.History.MessageByClientMsgID(f.ctx, "c2", "u1", m.ClientMsgID)),
		} {
			assert.ErrorIs(t, err, core.ErrNotFound, name)
		}
	})

	t.Run("messages paging", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		_, msgs := stBuildHistory(f, "c1")
		f.conv("empty", core.KindGroup, "E", stAt(1), "u1")
		lastSeq := msgs[len(msgs)-1].Seq
		for _, q := range []core.HistoryQuery{
			{Limit: 5}, {Limit: 100}, {Limit: 1},
			{Before: 10, Limit: 3}, {Before: 2, Limit: 5}, {Before: 3, Limit: 5}, {Before: 1000, Limit: 4},
			{Before: msgs[1].Seq, Limit: 1}, {Before: msgs[2].Seq, Limit: 1},
			{After: 1, Limit: 5}, {After: 5, Limit: 4}, {After: lastSeq - 3, Limit: 10},
			{After: lastSeq, Limit: 5}, {After: 1000, Limit: 5}, {After: msgs[len(msgs)-3].Seq, Limit: 2},
			{Forward: true, Limit: 3}, {Forward: true, Before: 10, Limit: 2}, {Forward: true, Limit: 1000},
		} {
			want, wantMore := stExpectMessages(msgs, q)
			got, more, err := f.s.History.Messages(f.ctx, "c1", q)
			require.NoError(t, err, "%+v", q)
			assert.Equal(t, stNormMessages(want), stNormMessages(got), "%+v", q)
			assert.Equal(t, wantMore, more, "more for %+v", q)
		}
		got, more, err := f.s.History.Messages(f.ctx, "empty", core.HistoryQuery{Limit: 10})
		require.NoError(t, err)
		assert.Empty(t, got)
		assert.False(t, more)
	})

	t.Run("messages walk backwards and forwards", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		_, msgs := stBuildHistory(f, "c1")
		for _, limit := range []int{1, 3, 7, 50} {
			var back []core.Message
			q := core.HistoryQuery{Limit: limit}
			for i := 0; ; i++ {
				require.Less(t, i, 1000)
				page, more, err := f.s.History.Messages(f.ctx, "c1", q)
				require.NoError(t, err)
				back = append(append([]core.Message{}, page...), back...)
				if !more {
					break
				}
				require.NotEmpty(t, page)
				q.Before = page[0].Seq
			}
			assert.Equal(t, stNormMessages(msgs), stNormMessages(back), "backwards, limit %d", limit)

			var fwd []core.Message
			q = core.HistoryQuery{After: 1, Limit: limit} // seq 1 is a join, not a message
			for i := 0; ; i++ {
				require.Less(t, i, 1000)
				page, more, err := f.s.History.Messages(f.ctx, "c1", q)
				require.NoError(t, err)
				fwd = append(fwd, page...)
				if !more {
					break
				}
				require.NotEmpty(t, page)
				q.After = page[len(page)-1].Seq
			}
			assert.Equal(t, stNormMessages(msgs), stNormMessages(fwd), "forwards, limit %d", limit)
		}
	})

	t.Run("events paging is dense and exact", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		events, _ := stBuildHistory(f, "c1")
		f.conv("empty", core.KindGroup, "E", stAt(1), "u1")
		n := int64(len(events))
		for _, limit := range []int{1, 7, 100} {
			var all []core.Event
			after := int64(0)
			for i := 0; ; i++ {
				require.Less(t, i, 1000)
				page, more, err := f.s.History.Events(f.ctx, "c1", after, limit)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), limit)
				all = append(all, page...)
				if !more {
					break
				}
				require.Len(t, page, limit, "a page followed by more must be full")
				after = page[len(page)-1].Seq
			}
			assert.Equal(t, stNormEvents(events), stNormEvents(all), "limit %d", limit)
		}
		page, more, err := f.s.History.Events(f.ctx, "c1", n-2, 10)
		require.NoError(t, err)
		assert.Equal(t, stNormEvents(events[n-2:]), stNormEvents(page))
		assert.False(t, more)
		page, more, err = f.s.History.Events(f.ctx, "c1", n-5, 5)
		require.NoError(t, err)
		assert.Equal(t, stNormEvents(events[n-5:]), stNormEvents(page))
		assert.False(t, more, "exactly the remaining events: no more")
		page, more, err = f.s.History.Events(f.ctx, "c1", n, 10)
		require.NoError(t, err)
		assert.Empty(t, page)
		assert.False(t, more)
		page, more, err = f.s.History.Events(f.ctx, "empty", 0, 10)
		require.NoError(t, err)
		assert.Empty(t, page)
		assert.False(t, more)
	})
}

// stBuildHistory creates conversation convID and 40 events of every message and member kind, returning the
// events in seq order and the messages' final state in seq order. Message seqs are not dense.
func stBuildHistory(f stFixture, convID string) ([]core.Event, []core.Message) {
	f.t.Helper()
	f.conv(convID, core.KindGroup, "History", stAt(0), "u1", "u2")
	var events []core.Event
	var msgs []core.Message
	index := map[int64]int{} // seq -> position in msgs
	for seq := int64(1); seq <= 40; seq++ {
		prev, prevIsMsg := index[seq-1]
		var ev core.Event
		switch {
		case seq == 1 || seq%5 == 0:
			ev = f.join(convID, fmt.Sprintf("j%02d", seq))
		case seq%7 == 0 && prevIsMsg && msgs[prev].DeletedAt == nil:
			edited := msgs[prev]
			edited.Body, edited.EditedAt = fmt.Sprintf("edited at %d", seq), stPtr(stAt(int(seq)))
			ev = f.next(convID, func(s int64) core.Event { return stMsgEvent(core.EventMessageEdited, s, edited.SenderID, edited) })
			msgs[prev] = edited
		case seq%11 == 0 && prevIsMsg:
			tomb := msgs[prev]
			tomb.Body, tomb.DeletedAt = "", stPtr(stAt(int(seq)))
			ev = f.next(convID, func(s int64) core.Event { return stMsgEvent(core.EventMessageDeleted, s, "u1", tomb) })
			msgs[prev] = tomb
		default:
			sender := []string{"u1", "u2"}[seq%2]
			ev = f.next(convID, func(s int64) core.Event {
				m := stMessage(convID, fmt.Sprintf("%s-m%03d", convID, s), sender, fmt.Sprintf("message %d", s), s)
				if s%3 == 0 {
					m.ReplyTo = msgs[0].ID
				}
				return stCreated(m)
			})
			msgs = append(msgs, *ev.Message)
			index[seq] = len(msgs) - 1
		}
		require.Equal(f.t, seq, ev.Seq)
		events = append(events, ev)
	}
	return events, msgs
}

// stExpectMessages is the reference semantics of HistoryStore.Messages over msgs (ascending by seq).
func stExpectMessages(msgs []core.Message, q core.HistoryQuery) ([]core.Message, bool) {
	var in []core.Message
	for _, m := range msgs {
		if (q.After == 0 || m.Seq > q.After) && (q.Before == 0 || m.Seq < q.Before) {
			in = append(in, m)
		}
	}
	if len(in) <= q.Limit {
		return in, false
	}
	if q.Forwards() {
		return in[:q.Limit], true
	}
	return in[len(in)-q.Limit:], true
}

func stErr[T any](_ T, err error) error { return err }
