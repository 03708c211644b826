package porttest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// stReaction builds a reaction event at seq.
func stReaction(typ core.EventType, convID string, seq int64, user, messageID, emoji string) core.Event {
	return core.Event{ConversationID: convID, Seq: seq, Type: typ, At: stAt(int(seq)), ActorID: user,
		Reaction: &core.Reaction{MessageID: messageID, UserID: user, Emoji: emoji}}
}

// react appends one reaction event at the conversation's next seq.
func (f stFixture) react(typ core.EventType, convID, user, messageID, emoji string) core.Event {
	f.t.Helper()
	return f.next(convID, func(seq int64) core.Event { return stReaction(typ, convID, seq, user, messageID, emoji) })
}

// TestReactions checks how the Ledger stores reactions and how HistoryStore.Reactions and LedgerTx.Reactions
// tally them.
func TestReactions(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("tallies per emoji in order of first reaction, with the viewer's own", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2", "u3")
		m1, m2, m3 := f.send("c1", "u1", "one"), f.send("c1", "u2", "two"), f.send("c1", "u2", "three")
		evs := []core.Event{
			f.react(core.EventReactionAdded, "c1", "u2", m1.ID, "🎉"),
			f.react(core.EventReactionAdded, "c1", "u1", m1.ID, "👍"),
			f.react(core.EventReactionAdded, "c1", "u2", m1.ID, "👍"),
			f.react(core.EventReactionAdded, "c1", "u3", m2.ID, "👨‍👩‍👧"),
		}
		got, err := f.s.History.Reactions(f.ctx, "c1", "u2", []string{m1.ID, m2.ID, m3.ID, "nope"})
		require.NoError(t, err)
		assert.Equal(t, map[string][]core.ReactionCount{
			m1.ID: {{Emoji: "🎉", Count: 1, Me: true}, {Emoji: "👍", Count: 2, Me: true}},
			m2.ID: {{Emoji: "👨‍👩‍👧", Count: 1}},
		}, got, "m3 has none; an unknown id is absent")
		got, err = f.s.History.Reactions(f.ctx, "c1", "u3", []string{m1.ID})
		require.NoError(t, err)
		assert.Equal(t, []core.ReactionCount{{Emoji: "🎉", Count: 1}, {Emoji: "👍", Count: 2}}, got[m1.ID])
		got, err = f.s.History.Reactions(f.ctx, "c2", "u2", []string{m1.ID})
		require.NoError(t, err)
		assert.Empty(t, got, "reactions are read within their conversation only")
		got, err = f.s.History.Reactions(f.ctx, "c1", "u2", nil)
		require.NoError(t, err)
		assert.Empty(t, got)

		// Reactions travel in the events, payload intact.
		all, _, err := f.s.History.Events(f.ctx, "c1", 3, 10)
		require.NoError(t, err)
		assert.Equal(t, stNormEvents(evs), stNormEvents(all))
	})

	t.Run("removal takes one back; adding twice and removing an absent one are refused and write nothing", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m := f.send("c1", "u1", "hi")
		f.react(core.EventReactionAdded, "c1", "u1", m.ID, "👍")
		f.react(core.EventReactionAdded, "c1", "u2", m.ID, "👍")
		assert.ErrorIs(t, f.appendEvents(stReaction(core.EventReactionAdded, "c1", 4, "u1", m.ID, "👍")), core.ErrAlreadyExists)
		assert.ErrorIs(t, f.appendEvents(stReaction(core.EventReactionRemoved, "c1", 4, "u1", m.ID, "🎉")), core.ErrNotFound)
		assert.ErrorIs(t, f.appendEvents(stReaction(core.EventReactionAdded, "c1", 4, "u1", "ghost", "👍")), core.ErrNotFound,
			"the message must exist")
		stAssertConv(f, "c1", 3, stAt(3))

		f.react(core.EventReactionRemoved, "c1", "u1", m.ID, "👍")
		got, err := f.s.History.Reactions(f.ctx, "c1", "u1", []string{m.ID})
		require.NoError(t, err)
		assert.Equal(t, []core.ReactionCount{{Emoji: "👍", Count: 1}}, got[m.ID])
		f.react(core.EventReactionRemoved, "c1", "u2", m.ID, "👍")
		got, err = f.s.History.Reactions(f.ctx, "c1", "u1", []string{m.ID})
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("a transaction sees its own reactions; a batch nets out", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m := f.send("c1", "u1", "hi")
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			if err := tx.Append(ctx,
				stReaction(core.EventReactionAdded, "c1", 2, "u1", m.ID, "👍"),
				stReaction(core.EventReactionAdded, "c1", 3, "u2", m.ID, "❤️"),
				stReaction(core.EventReactionRemoved, "c1", 4, "u1", m.ID, "👍"),
				stReaction(core.EventReactionAdded, "c1", 5, "u1", m.ID, "👍")); err != nil {
				return err
			}
			got, err := tx.Reactions(ctx, "c1", "u1", []string{m.ID})
			require.NoError(t, err)
			assert.Equal(t, []core.ReactionCount{{Emoji: "❤️", Count: 1}, {Emoji: "👍", Count: 1, Me: true}}, got[m.ID],
				"👍 counts from its latest addition")
			return nil
		}))
		got, err := f.s.History.Reactions(f.ctx, "c1", "u2", []string{m.ID})
		require.NoError(t, err)
		assert.Equal(t, []core.ReactionCount{{Emoji: "❤️", Count: 1, Me: true}, {Emoji: "👍", Count: 1}}, got[m.ID])
		assert.ErrorIs(t, f.appendEvents(
			stReaction(core.EventReactionAdded, "c1", 6, "u2", m.ID, "🎉"),
			stReaction(core.EventReactionRemoved, "c1", 7, "u2", m.ID, "🎉"),
			stReaction(core.EventReactionAdded, "c1", 8, "u2", m.ID, "❤️")), core.ErrAlreadyExists,
			"one refused event refuses the batch")
		got, err = f.s.History.Reactions(f.ctx, "c1", "u2", []string{m.ID})
		require.NoError(t, err)
		assert.Len(t, got[m.ID], 2)
		stAssertConv(f, "c1", 5, stAt(5))
	})

	t.Run("message.deleted takes the message's reactions with it", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		m, other := f.send("c1", "u1", "hi"), f.send("c1", "u1", "stays")
		f.react(core.EventReactionAdded, "c1", "u2", m.ID, "👍")
		f.react(core.EventReactionAdded, "c1", "u2", other.ID, "👍")
		tomb := m
		tomb.Body, tomb.DeletedAt = "", stPtr(stAt(9))
		f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageDeleted, seq, "u1", tomb) })
		got, err := f.s.History.Reactions(f.ctx, "c1", "u2", []string{m.ID, other.ID})
		require.NoError(t, err)
		assert.Equal(t, map[string][]core.ReactionCount{other.ID: {{Emoji: "👍", Count: 1, Me: true}}}, got)
	})
}

// TestPins checks message.pinned and message.unpinned, HistoryStore.Pins and LedgerTx.PinCount.
func TestPins(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("pin, list most recent first, unpin", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2")
		f.conv("c2", core.KindGroup, "Other", stAt(0), "u1")
		m1, m2, m3 := f.send("c1", "u1", "one"), f.send("c1", "u2", "two"), f.send("c1", "u2", "three")
		elsewhere := f.send("c2", "u1", "elsewhere")
		pin := func(m core.Message, by string, at int) core.Message {
			m.PinnedAt, m.PinnedBy = stPtr(stAt(at)), by
			f.next(m.ConversationID, func(seq int64) core.Event { return stMsgEvent(core.EventMessagePinned, seq, by, m) })
			return m
		}
		p1 := pin(m1, "u1", 10)
		p3 := pin(m3, "u2", 20)
		pin(elsewhere, "u1", 30)
		got, err := f.s.History.Pins(f.ctx, "c1")
		require.NoError(t, err)
		assert.Equal(t, stNormMessages([]core.Message{p3, p1}), stNormMessages(got))
		stored, err := f.s.History.Message(f.ctx, "c1", m1.ID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(p1), stNormMessage(stored))
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			n, err := tx.PinCount(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			return nil
		}))

		un := p1
		un.PinnedAt, un.PinnedBy = nil, ""
		ev := f.next("c1", func(seq int64) core.Event { return stMsgEvent(core.EventMessageUnpinned, seq, "u2", un) })
		got, err = f.s.History.Pins(f.ctx, "c1")
		require.NoError(t, err)
		assert.Equal(t, stNormMessages([]core.Message{p3}), stNormMessages(got))
		last, _, err := f.s.History.Events(f.ctx, "c1", ev.Seq-1, 1)
		require.NoError(t, err)
		assert.Equal(t, stNormEvents([]core.Event{ev}), stNormEvents(last), "the event keeps the message as unpinned")
		assert.Nil(t, last[0].Message.PinnedAt)

		// A pin inside a transaction is counted by it.
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			c, err := tx.Conversation(ctx, "c1")
			require.NoError(t, err)
			pinned := m2
			pinned.PinnedAt, pinned.PinnedBy = stPtr(stAt(40)), "u1"
			require.NoError(t, tx.Append(ctx, stMsgEvent(core.EventMessagePinned, c.LastSeq+1, "u1", pinned)))
			n, err := tx.PinCount(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			return nil
		}))
		got, err = f.s.History.Pins(f.ctx, "c2")
		require.NoError(t, err)
		assert.Len(t, got, 1)
		got, err = f.s.History.Pins(f.ctx, "nope")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}
