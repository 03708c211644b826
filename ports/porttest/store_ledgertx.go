package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// testLedgerTx checks Update's transaction semantics: rollback, own writes, isolation and concurrency.
func testLedgerTx(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("an error from fn rolls everything back and is returned", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		orig := f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		first := f.send("c1", "u1", "kept")
		boom := errors.New("boom")
		err := f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			renamed := orig
			renamed.Title = "Renamed"
			edited := first
			edited.Body, edited.EditedAt = "changed", stPtr(stAt(2))
			if err := tx.Append(ctx, stMsgEvent(core.EventMessageEdited, 2, "u1", edited)); err != nil {
				return err
			}
			if err := tx.Append(ctx, stCreated(stMessage("c1", "m3", "u1", "lost", 3)),
				stMemberEvent(core.EventMemberJoined, "c1", 4, "u1", core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember}),
				stMemberEvent(core.EventMemberLeft, "c1", 5, "u1", core.Member{ConversationID: "c1", UserID: "u1", Role: core.RoleOwner}),
				stConvEvent(6, "u1", renamed)); err != nil {
				return err
			}
			return fmt.Errorf("fn failed: %w", boom)
		})
		require.ErrorIs(t, err, boom)
		got, err := f.s.History.Message(f.ctx, "c1", first.ID)
		require.NoError(t, err)
		assert.Equal(t, stNormMessage(first), stNormMessage(got))
		_, err = f.s.History.Message(f.ctx, "c1", "m3")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.s.History.MessageByClientMsgID(f.ctx, "c1", "u1", "c-m3")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.s.Members.Member(f.ctx, "c1", "u2")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = f.s.Members.Member(f.ctx, "c1", "u1")
		assert.NoError(t, err)
		c, err := f.s.Conversations.Conversation(f.ctx, "c1")
		require.NoError(t, err)
		assert.Equal(t, "Team", c.Title)
		stAssertConv(f, "c1", 1, first.CreatedAt)
		stAssertEvents(f, "c1", stCreated(first))
		// The rolled-back seqs are free again.
		f.send("c1", "u1", "next")
		stAssertConv(f, "c1", 2, stAt(2))
	})

	t.Run("reads inside the transaction see its own writes", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		err := f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			m := stMessage("c1", "m1", "u1", "hello", 1)
			m.CommandID = "cmd-1" // kept, and read back with the message (the sequencer tells retries by it)
			require.NoError(t, tx.Append(ctx, stCreated(m)))
			c, err := tx.Conversation(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, int64(1), c.LastSeq)
			assert.Equal(t, stMS(stAt(1)), stMS(c.LastActivityAt))
			got, err := tx.Message(ctx, "c1", "m1")
			require.NoError(t, err)
			assert.Equal(t, stNormMessage(m), stNormMessage(got))
			sts, err := tx.LoadSends(ctx, []ports.SendReads{{ConversationID: "c1", Senders: []string{"u1", "u2"},
				Keys:    []core.SendKey{{SenderID: "u1", ClientMsgID: m.ClientMsgID}, {SenderID: "u1", ClientMsgID: "other"}},
				ReplyTo: []string{"m1", "nope"}}})
			require.NoError(t, err)
			require.Len(t, sts, 1)
			assert.True(t, sts[0].Found)
			assert.Equal(t, int64(1), sts[0].Conversation.LastSeq)
			assert.Equal(t, map[string]bool{"u1": true}, sts[0].Members)
			require.Len(t, sts[0].Sent, 1)
			assert.Equal(t, stNormMessage(m), stNormMessage(sts[0].Sent[core.SendKey{SenderID: "u1", ClientMsgID: m.ClientMsgID}]))
			assert.Equal(t, map[string]bool{"m1": true}, sts[0].Messages)

			m.Body, m.EditedAt = "edited", stPtr(stAt(2))
			require.NoError(t, tx.Append(ctx, stMsgEvent(core.EventMessageEdited, 2, "u1", m)))
			got, err = tx.Message(ctx, "c1", "m1")
			require.NoError(t, err)
			assert.Equal(t, stNormMessage(m), stNormMessage(got))

			joined := core.Member{ConversationID: "c1", UserID: "u2", Role: core.RoleMember, JoinedAt: stAt(3)}
			require.NoError(t, tx.Append(ctx, stMemberEvent(core.EventMemberJoined, "c1", 3, "u1", joined)))
			gm, err := tx.Member(ctx, "c1", "u2")
			require.NoError(t, err)
			assert.Equal(t, stNormMember(joined), stNormMember(gm))
			require.NoError(t, tx.Append(ctx, stMemberEvent(core.EventMemberLeft, "c1", 4, "u2", joined)))
			_, err = tx.Member(ctx, "c1", "u2")
			assert.ErrorIs(t, err, core.ErrNotFound)
			c, err = tx.Conversation(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, int64(4), c.LastSeq)

			// Nothing is visible outside the transaction before it commits.
			_, err = f.s.History.Message(ctx, "c1", "m1")
			assert.ErrorIs(t, err, core.ErrNotFound, "uncommitted message visible outside the transaction")
			out, err := f.s.Conversations.Conversation(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, int64(0), out.LastSeq, "uncommitted lastSeq visible outside the transaction")
			return nil
		})
		require.NoError(t, err)
		stAssertConv(f, "c1", 4, stAt(4))
	})

	t.Run("reads inside the transaction report not_found", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		err := f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			_, err := tx.Conversation(ctx, "nope")
			assert.ErrorIs(t, err, core.ErrNotFound, "Conversation")
			_, err = tx.Member(ctx, "c1", "u9")
			assert.ErrorIs(t, err, core.ErrNotFound, "Member")
			_, err = tx.Message(ctx, "c1", "nope")
			assert.ErrorIs(t, err, core.ErrNotFound, "Message")
			sts, err := tx.LoadSends(ctx, []ports.SendReads{{ConversationID: "c1", Senders: []string{"u9"},
				Keys: []core.SendKey{{SenderID: "u1", ClientMsgID: "nope"}}, ReplyTo: []string{"nope"}},
				{ConversationID: "nope", Senders: []string{"u1"}, Keys: []core.SendKey{{SenderID: "u1", ClientMsgID: "x"}}}})
			require.NoError(t, err, "LoadSends")
			require.Len(t, sts, 2)
			assert.True(t, sts[0].Found)
			assert.Empty(t, sts[0].Members)
			assert.Empty(t, sts[0].Sent)
			assert.Empty(t, sts[0].Messages)
			assert.False(t, sts[1].Found, "a conversation that does not exist")
			assert.Empty(t, sts[1].Members)
			m, err := tx.Member(ctx, "c1", "u1")
			require.NoError(t, err)
			assert.Equal(t, core.RoleOwner, m.Role)
			return nil
		})
		require.NoError(t, err)
	})

	t.Run("LoadSends reads moderators' mutes with the memberships", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1", "u2", "u3")
		f.conv("c2", core.KindGroup, "Other", stAt(0), "u1", "u2")
		mute := func(convID, user string, role core.Role, until *time.Time) {
			f.t.Helper()
			f.next(convID, func(seq int64) core.Event {
				return stMemberEvent(core.EventMemberUpdated, convID, seq, "u1",
					core.Member{ConversationID: convID, UserID: user, Role: role, JoinedAt: stAt(0), MutedUntil: until})
			})
		}
		mute("c1", "u2", core.RoleMember, stPtr(stAt(100)))
		mute("c1", "u3", core.RoleMember, stPtr(stAt(200)))
		mute("c1", "u3", core.RoleMember, nil) // unmuted again
		mute("c2", "u1", core.RoleOwner, stPtr(stAt(300)))
		norm := func(m map[string]time.Time) map[string]time.Time {
			out := map[string]time.Time{}
			for k, v := range m {
				out[k] = stMS(v)
			}
			return out
		}
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			sts, err := tx.LoadSends(ctx, []ports.SendReads{
				{ConversationID: "c1", Senders: []string{"u1", "u2", "u3", "u9"}},
				{ConversationID: "c2", Senders: []string{"u1", "u2"}},
				{ConversationID: "nope", Senders: []string{"u2"}},
			})
			require.NoError(t, err)
			require.Len(t, sts, 3)
			assert.Equal(t, map[string]bool{"u1": true, "u2": true, "u3": true}, sts[0].Members)
			assert.Equal(t, map[string]time.Time{"u2": stMS(stAt(100))}, norm(sts[0].MutedUntil),
				"the muted sender only: never muted, unmuted and non-members are absent")
			assert.Equal(t, map[string]time.Time{"u1": stMS(stAt(300))}, norm(sts[1].MutedUntil), "per conversation")
			assert.Empty(t, sts[2].MutedUntil)
			return nil
		}))
	})

	t.Run("a failed append leaves the transaction as it was", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Team", stAt(0), "u1")
		err := f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			require.NoError(t, tx.Append(ctx, stCreated(stMessage("c1", "m1", "u1", "a", 1))))
			dup := stMessage("c1", "m1", "u1", "dup", 3)
			err := tx.Append(ctx, stCreated(stMessage("c1", "m2", "u1", "b", 2)), stCreated(dup))
			require.ErrorIs(t, err, core.ErrAlreadyExists)
			c, err := tx.Conversation(ctx, "c1")
			require.NoError(t, err)
			assert.Equal(t, int64(1), c.LastSeq)
			_, err = tx.Message(ctx, "c1", "m2")
			assert.ErrorIs(t, err, core.ErrNotFound)
			return tx.Append(ctx, stCreated(stMessage("c1", "m9", "u1", "c", 2)))
		})
		require.NoError(t, err)
		stAssertEvents(f, "c1", stCreated(stMessage("c1", "m1", "u1", "a", 1)), stCreated(stMessage("c1", "m9", "u1", "c", 2)))
		_, err = f.s.History.Message(f.ctx, "c1", "m2")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})

	t.Run("one append writes several conversations, or none of them", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "Two", stAt(0), "u1")
		a1, b1, a2 := stMessage("c1", "a1", "u1", "a1", 1), stMessage("c2", "b1", "u1", "b1", 1), stMessage("c1", "a2", "u1", "a2", 2)
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			return tx.Append(ctx, stCreated(a1), stCreated(b1), stCreated(a2))
		}))
		stAssertConv(f, "c1", 2, stAt(2))
		stAssertConv(f, "c2", 1, stAt(1))
		stAssertEvents(f, "c1", stCreated(a1), stCreated(a2))
		stAssertEvents(f, "c2", stCreated(b1))

		for name, bad := range map[string]core.Event{
			"a seq that does not follow":         stCreated(stMessage("c2", "b9", "u1", "b9", 5)),
			"a conversation that does not exist": stCreated(stMessage("nope", "n1", "u1", "n1", 1)),
		} {
			err := f.update(func(ctx context.Context, tx ports.LedgerTx) error {
				err := tx.Append(ctx, stCreated(stMessage("c1", "a3", "u1", "a3", 3)), bad)
				require.Error(t, err, name)
				if bad.ConversationID == "nope" {
					assert.ErrorIs(t, err, core.ErrNotFound, name)
				} else {
					assert.ErrorIs(t, err, core.ErrConflict, name)
				}
				return nil // commit: the refused Append must have written nothing
			})
			require.NoError(t, err)
			stAssertConv(f, "c1", 2, stAt(2))
			_, err = f.s.History.Message(f.ctx, "c1", "a3")
			assert.ErrorIs(t, err, core.ErrNotFound, name)
		}
	})

	t.Run("LoadSends locks: concurrent batches over shared conversations stay dense", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "Two", stAt(0), "u1")
		const writers, each = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- f.s.Ledger.Update(context.Background(), func(ctx context.Context, tx ports.LedgerTx) error {
						sts, err := tx.LoadSends(ctx, []ports.SendReads{{ConversationID: "c1"}, {ConversationID: "c2"}})
						if err != nil {
							return err
						}
						var evs []core.Event
						for j, st := range sts {
							id := fmt.Sprintf("w%d-%02d-%d", w, i, j)
							evs = append(evs, stCreated(stMessage(st.Conversation.ID, id, "u1", id, st.Conversation.LastSeq+1)))
						}
						return tx.Append(ctx, evs...)
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for _, id := range []string{"c1", "c2"} {
			c, err := f.s.Conversations.Conversation(f.ctx, id)
			require.NoError(t, err)
			assert.Equal(t, int64(writers*each), c.LastSeq, id)
			evs, _, err := f.s.History.Events(f.ctx, id, 0, writers*each)
			require.NoError(t, err)
			require.Len(t, evs, writers*each, id)
			for i, e := range evs {
				require.Equal(t, int64(i+1), e.Seq, "%s: seqs must be dense", id)
			}
		}
	})

	t.Run("concurrent updates produce dense seqs", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "Busy", stAt(0), "u1")
		const writers, each = 8, 25
		var wg sync.WaitGroup
		var stop atomic.Bool
		errs := make(chan error, writers*each+100)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id := fmt.Sprintf("w%d-%02d", w, i)
					errs <- f.s.Ledger.Update(context.Background(), func(ctx context.Context, tx ports.LedgerTx) error {
						c, err := tx.Conversation(ctx, "c1")
						if err != nil {
							return err
						}
						return tx.Append(ctx, stCreated(stMessage("c1", id, "u1", id, c.LastSeq+1)))
					})
				}
			}()
		}
		var readers sync.WaitGroup
		readers.Add(1)
		go func() { // readers run alongside the writers and must never fail
			defer readers.Done()
			for !stop.Load() {
				if _, _, err := f.s.History.Events(context.Background(), "c1", 0, 50); err != nil {
					errs <- fmt.Errorf("Events: %w", err)
				}
				if _, err := f.s.Members.ConversationsOf(context.Background(), "u1", core.PageRequest{Limit: 10}); err != nil {
					errs <- fmt.Errorf("ConversationsOf: %w", err)
				}
			}
		}()
		wg.Wait()
		stop.Store(true)
		readers.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		const n = writers * each
		stAssertConv(f, "c1", n, stAt(n))
		var seen []int64
		ids := map[string]bool{}
		for after, i := int64(0), 0; ; i++ {
			require.Less(t, i, 100, "paging does not end")
			page, more, err := f.s.History.Events(f.ctx, "c1", after, 60)
			require.NoError(t, err)
			for _, e := range page {
				seen = append(seen, e.Seq)
				require.NotNil(t, e.Message)
				assert.Equal(t, e.Seq, e.Message.Seq)
				ids[e.Message.ID] = true
				after = e.Seq
			}
			if !more {
				break
			}
		}
		require.Len(t, seen, n)
		for i, s := range seen {
			require.Equal(t, int64(i+1), s, "seqs must be dense")
		}
		assert.Len(t, ids, n, "every message exactly once")
		msgs, more, err := f.s.History.Messages(f.ctx, "c1", core.HistoryQuery{After: 0, Limit: core.MaxHistoryLimit})
		require.NoError(t, err)
		assert.Len(t, msgs, n)
		assert.False(t, more)
	})
}
