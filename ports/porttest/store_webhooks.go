package porttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// stFeedWait bounds how long a test waits for committed changes to show in the feed: a store may hold a change
// back while an older transaction is open (in PostgreSQL, any transaction of the server, another test's too).
const stFeedWait = 15 * time.Second

// stFeedTo walks the change feed from after, limit changes at a time, until it has read last — the change of
// the test's latest Append, so that by then every change committed before it shows too — and checks that
// nothing follows. It returns the changes read and the cursor after them.
func stFeedTo(f stFixture, after string, limit int, last core.FeedChange) ([]core.FeedChange, string) {
	f.t.Helper()
	var all []core.FeedChange
	cursor, deadline := after, time.Now().Add(stFeedWait)
	for !containsChange(all, last) {
		page, next, err := f.s.Feed.Changes(f.ctx, cursor, limit)
		require.NoError(f.t, err)
		require.LessOrEqual(f.t, len(page), limit, "page larger than limit")
		if len(page) == 0 {
			require.Equal(f.t, cursor, next, "an empty page keeps the cursor")
			require.True(f.t, time.Now().Before(deadline), "the feed never showed %+v; it showed %+v", last, all)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		require.NotEqual(f.t, cursor, next, "cursor did not advance")
		all, cursor = append(all, page...), next
	}
	page, next, err := f.s.Feed.Changes(f.ctx, cursor, limit)
	require.NoError(f.t, err)
	require.Empty(f.t, page, "changes after the latest one")
	require.Equal(f.t, cursor, next, "an empty page keeps the cursor")
	return all, cursor
}

func containsChange(changes []core.FeedChange, c core.FeedChange) bool {
	for _, o := range changes {
		if o == c {
			return true
		}
	}
	return false
}

// stByConv groups changes by conversation, each group in the order read: the feed orders each conversation's
// changes, not those of different conversations.
func stByConv(changes []core.FeedChange) map[string][]core.FeedChange {
	out := map[string][]core.FeedChange{}
	for _, c := range changes {
		out[c.ConversationID] = append(out[c.ConversationID], c)
	}
	return out
}

// stFeedMsg is a message.created event of u1 at seq of conv.
func stFeedMsg(conv string, seq int64) core.Event {
	return stCreated(stMessage(conv, fmt.Sprintf("%s-m%d", conv, seq), "u1", "hi", seq))
}

func stChange(conv string, first, last int64) core.FeedChange {
	return core.FeedChange{ConversationID: conv, FirstSeq: first, LastSeq: last}
}

// TestChangeFeed checks the ports.ChangeFeed contract and the feed that LedgerTx.Append writes, with the cursor
// that ports.WebhookStore keeps. newStore must return empty stores.
func TestChangeFeed(t *testing.T, newStore func(t *testing.T) Stores) {
	t.Run("each Append records one change per conversation, from its first seq to its last", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		for _, id := range []string{"c1", "c2", "c3"} {
			f.conv(id, core.KindGroup, "Group "+id, stAt(0), "u1")
		}
		page, cursor, err := f.s.Feed.Changes(f.ctx, "", 10)
		require.NoError(t, err)
		assert.Empty(t, page, "creating conversations appends nothing")
		assert.Empty(t, cursor)

		// One Append over three conversations, their events interleaved.
		require.NoError(t, f.appendEvents(stFeedMsg("c1", 1), stFeedMsg("c2", 1), stFeedMsg("c1", 2), stFeedMsg("c3", 1),
			stFeedMsg("c1", 3), stFeedMsg("c3", 2)))
		// Two Appends in one transaction: a change each.
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			if err := tx.Append(ctx, stFeedMsg("c2", 2)); err != nil {
				return err
			}
			return tx.Append(ctx, stFeedMsg("c2", 3), stFeedMsg("c1", 4))
		}))
		f.join("c1", "u2") // any event type
		f.send("c3", "u1", "last")

		got, _ := stFeedTo(f, "", 100, stChange("c3", 3, 3))
		assert.Equal(t, map[string][]core.FeedChange{
			"c1": {stChange("c1", 1, 3), stChange("c1", 4, 4), stChange("c1", 5, 5)},
			"c2": {stChange("c2", 1, 1), stChange("c2", 2, 2), stChange("c2", 3, 3)},
			"c3": {stChange("c3", 1, 2), stChange("c3", 3, 3)},
		}, stByConv(got))
	})

	t.Run("a refused Append or a rolled-back transaction records nothing", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "Two", stAt(0), "u1")
		require.NoError(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			if err := tx.Append(ctx, stFeedMsg("c1", 1)); err != nil {
				return err
			}
			err := tx.Append(ctx, stFeedMsg("c1", 2), stFeedMsg("c2", 5))
			if !errors.Is(err, core.ErrConflict) {
				return fmt.Errorf("an Append with a seq gap: want a conflict, got %w", err)
			}
			taken := stMessage("c2", "c1-m1", "u1", "a taken id", 1)
			taken.ClientMsgID = "fresh"
			if err := tx.Append(ctx, stFeedMsg("c1", 2), stCreated(taken)); !errors.Is(err, core.ErrAlreadyExists) {
				return fmt.Errorf("an Append of a taken message id: want already exists, got %w", err)
			}
			return nil // commits the first Append alone
		}))
		boom := errors.New("boom")
		assert.ErrorIs(t, f.update(func(ctx context.Context, tx ports.LedgerTx) error {
			if err := tx.Append(ctx, stFeedMsg("c2", 1)); err != nil {
				return err
			}
			return boom
		}), boom)
		assert.ErrorIs(t, f.appendEvents(stFeedMsg("c1", 7)), core.ErrConflict)
		require.NoError(t, f.appendEvents(stFeedMsg("c2", 1)))

		got, _ := stFeedTo(f, "", 100, stChange("c2", 1, 1))
		assert.Equal(t, map[string][]core.FeedChange{"c1": {stChange("c1", 1, 1)}, "c2": {stChange("c2", 1, 1)}},
			stByConv(got))
	})

	t.Run("Changes pages the feed, each change once, and goes on from any cursor it returned", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "Two", stAt(0), "u1")
		var want []core.FeedChange
		for i := range 7 {
			m := f.send([]string{"c1", "c2"}[i%2], "u1", "hi")
			want = append(want, stChange(m.ConversationID, m.Seq, m.Seq))
		}
		last := want[len(want)-1]
		all, end := stFeedTo(f, "", 100, last)
		require.Len(t, all, len(want))
		assert.Equal(t, stByConv(want), stByConv(all))
		for _, limit := range []int{1, 2, 3, 7} {
			got, cursor := stFeedTo(f, "", limit, last)
			assert.Equal(t, all, got, "limit %d", limit)
			assert.Equal(t, end, cursor, "limit %d", limit)
		}

		page, mid, err := f.s.Feed.Changes(f.ctx, "", 3)
		require.NoError(t, err)
		assert.Equal(t, all[:3], page)
		rest, cursor := stFeedTo(f, mid, 2, last)
		assert.Equal(t, all[3:], rest, "from the cursor of a page on")
		assert.Equal(t, end, cursor)

		for _, limit := range []int{0, -1} {
			_, _, err := f.s.Feed.Changes(f.ctx, "", limit)
			assert.ErrorIs(t, err, core.ErrInvalidArgument, "limit %d", limit)
		}
	})

	t.Run("a malformed cursor is invalid", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		for _, c := range []string{"x", "-1", "1:2:3", " 1", "1.5", "0x10"} {
			_, _, err := f.s.Feed.Changes(f.ctx, c, 10)
			assert.ErrorIs(t, err, core.ErrInvalidArgument, "Changes(%q)", c)
			assert.ErrorIs(t, f.s.Webhooks.ConsumeChanges(f.ctx, c, nil), core.ErrInvalidArgument, "ConsumeChanges(%q)", c)
		}
		cursor, err := f.s.Webhooks.WebhookCursor(f.ctx)
		require.NoError(t, err)
		assert.Empty(t, cursor, "no malformed cursor was stored")
	})

	t.Run("ConsumeChanges stores the cursor, and reading on from it returns only later changes", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		f.conv("c2", core.KindGroup, "Two", stAt(0), "u1")
		cursor, err := f.s.Webhooks.WebhookCursor(f.ctx)
		require.NoError(t, err)
		assert.Empty(t, cursor, "before the first")

		f.send("c1", "u1", "one")
		f.send("c2", "u1", "two")
		f.send("c1", "u1", "three")
		first, c1 := stFeedTo(f, "", 10, stChange("c1", 2, 2))
		require.Len(t, first, 3)
		require.NoError(t, f.s.Webhooks.ConsumeChanges(f.ctx, c1, nil))
		cursor, err = f.s.Webhooks.WebhookCursor(f.ctx)
		require.NoError(t, err)
		assert.Equal(t, c1, cursor)

		f.send("c2", "u1", "four")
		f.send("c1", "u1", "five")
		later, c2 := stFeedTo(f, cursor, 10, stChange("c1", 3, 3))
		assert.Equal(t, map[string][]core.FeedChange{"c1": {stChange("c1", 3, 3)}, "c2": {stChange("c2", 2, 2)}},
			stByConv(later))

		require.NoError(t, f.s.Webhooks.ConsumeChanges(f.ctx, c2, nil))
		cursor, err = f.s.Webhooks.WebhookCursor(f.ctx)
		require.NoError(t, err)
		assert.Equal(t, c2, cursor)
		page, next, err := f.s.Feed.Changes(f.ctx, cursor, 10)
		require.NoError(t, err)
		assert.Empty(t, page)
		assert.Equal(t, c2, next)

		f.send("c2", "u1", "six")
		after, _ := stFeedTo(f, cursor, 10, stChange("c2", 3, 3))
		assert.Equal(t, []core.FeedChange{stChange("c2", 3, 3)}, after, "the feed goes on after the consumed changes")
	})
}

func stNormWebhook(w core.Webhook) core.Webhook {
	w.CreatedAt = stMS(w.CreatedAt)
	return w
}

func stNormDelivery(d core.WebhookDelivery) core.WebhookDelivery {
	d.CreatedAt, d.NextAttemptAt = stMS(d.CreatedAt), stMS(d.NextAttemptAt)
	d.LastAttemptAt, d.DeliveredAt = stMSPtr(d.LastAttemptAt), stMSPtr(d.DeliveredAt)
	return d
}

// stPayload has bytes that are neither UTF-8 nor JSON: a store keeps a payload as bytes.
var stPayload = []byte{0x00, '{', 0xff, 0xfe, '}', 0x80, '\n', 0x00}

// TestWebhookStore checks the ports.WebhookStore contract. newStore must return empty stores.
func TestWebhookStore(t *testing.T, newStore func(t *testing.T) Stores) {
	hook := func(f stFixture, id string, i int) core.Webhook {
		f.t.Helper()
		w := core.Webhook{ID: id, URL: "https://example.com/hooks/" + id, Events: []string{"message.created", "member.joined"},
			Description: "hook " + id, Secret: "whsec_" + id, CreatedAt: stAt(i)}
		require.NoError(f.t, f.s.Webhooks.CreateWebhook(f.ctx, w))
		return w
	}
	// delivery is a pending delivery of webhookID, made and due at i; consume stores it with ConsumeChanges.
	delivery := func(id, webhookID string, i int) core.WebhookDelivery {
		return core.WebhookDelivery{ID: id, WebhookID: webhookID, ConversationID: "c1", Seq: int64(i),
			EventType: core.EventMessageCreated, Payload: []byte(fmt.Sprintf(`{"seq":%d}`, i)), Status: core.DeliveryPending,
			CreatedAt: stAt(i), NextAttemptAt: stAt(i)}
	}
	consume := func(f stFixture, ds ...core.WebhookDelivery) {
		f.t.Helper()
		require.NoError(f.t, f.s.Webhooks.ConsumeChanges(f.ctx, "", ds))
	}
	read := func(f stFixture, id string) core.WebhookDelivery {
		f.t.Helper()
		d, err := f.s.Webhooks.Delivery(f.ctx, id)
		require.NoError(f.t, err)
		return stNormDelivery(d)
	}
	ids := func(ds []core.WebhookDelivery) []string {
		out := []string{}
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	listed := func(f stFixture, webhookID string, status core.DeliveryStatus, limit int) []string {
		f.t.Helper()
		return ids(stWalk(f.t, limit, func(p core.PageRequest) (core.Page[core.WebhookDelivery], error) {
			return f.s.Webhooks.Deliveries(f.ctx, webhookID, status, p)
		}))
	}
	due := func(f stFixture, webhookID string, now time.Time, limit int) []string {
		f.t.Helper()
		ds, err := f.s.Webhooks.DueDeliveries(f.ctx, webhookID, now, limit)
		require.NoError(f.t, err)
		return ids(ds)
	}

	t.Run("a webhook reads back exactly and webhooks are listed by id, page by page", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		_, err := f.s.Webhooks.Webhook(f.ctx, "w1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		w := hook(f, "w3", 1)
		w.Events = []string{core.WebhookAllEvents}
		w.ID = "w1"
		require.NoError(t, f.s.Webhooks.CreateWebhook(f.ctx, w))
		got, err := f.s.Webhooks.Webhook(f.ctx, "w1")
		require.NoError(t, err)
		assert.Equal(t, stNormWebhook(w), stNormWebhook(got))
		w3, err := f.s.Webhooks.Webhook(f.ctx, "w3")
		require.NoError(t, err)
		assert.Equal(t, []string{"message.created", "member.joined"}, w3.Events, "events keep their order")
		assert.ErrorIs(t, f.s.Webhooks.CreateWebhook(f.ctx, w), core.ErrAlreadyExists)

		for i, id := range []string{"w5", "w2", "w4"} { // out of order
			hook(f, id, 10+i)
		}
		for _, limit := range []int{1, 2, 5, 10} {
			var got []string
			for _, w := range stWalk(t, limit, func(p core.PageRequest) (core.Page[core.Webhook], error) {
				return f.s.Webhooks.Webhooks(f.ctx, p)
			}) {
				got = append(got, w.ID)
			}
			assert.Equal(t, []string{"w1", "w2", "w3", "w4", "w5"}, got, "limit %d", limit)
		}
		_, err = f.s.Webhooks.Webhooks(f.ctx, core.PageRequest{Cursor: "%%%"})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("deleting a webhook takes its deliveries and says whether there was one", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		hook(f, "w2", 2)
		d1, d2, kept := delivery("d1", "w1", 1), delivery("d2", "w1", 2), delivery("d3", "w2", 3)
		consume(f, d1, kept)
		require.NoError(t, f.s.Webhooks.CreateDelivery(f.ctx, d2))

		deleted, err := f.s.Webhooks.DeleteWebhook(f.ctx, "w1")
		require.NoError(t, err)
		assert.True(t, deleted)
		_, err = f.s.Webhooks.Webhook(f.ctx, "w1")
		assert.ErrorIs(t, err, core.ErrNotFound)
		for _, d := range []core.WebhookDelivery{d1, d2} {
			_, err = f.s.Webhooks.Delivery(f.ctx, d.ID)
			assert.ErrorIs(t, err, core.ErrNotFound, d.ID)
			d.Status, d.Attempts = core.DeliveryDelivered, 1
			assert.ErrorIs(t, f.s.Webhooks.UpdateDelivery(f.ctx, d), core.ErrNotFound, "updating %s", d.ID)
		}
		assert.Empty(t, listed(f, "w1", "", 10))
		assert.Equal(t, []string{"d3"}, due(f, "w2", stAt(100), 10))
		assert.Empty(t, due(f, "w1", stAt(100), 10))
		assert.Equal(t, []string{"d3"}, listed(f, "w2", "", 10))
		assert.Equal(t, stNormDelivery(kept), read(f, "d3"))

		deleted, err = f.s.Webhooks.DeleteWebhook(f.ctx, "w1")
		require.NoError(t, err)
		assert.False(t, deleted, "deleting twice")
		hook(f, "w1", 5)
		assert.Empty(t, listed(f, "w1", "", 10), "a new webhook of the same id starts without deliveries")
	})

	t.Run("deliveries read back exactly, stored by ConsumeChanges or CreateDelivery", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		hook(f, "w2", 2)
		f.conv("c1", core.KindGroup, "One", stAt(0), "u1")
		m := f.send("c1", "u1", "hi")
		_, cursor := stFeedTo(f, "", 10, stChange("c1", m.Seq, m.Seq))

		d1 := delivery("d1", "w1", 3)
		d1.Payload, d1.EventType = stPayload, core.EventMemberJoined
		d2 := delivery("d2", "w2", 4)
		require.NoError(t, f.s.Webhooks.ConsumeChanges(f.ctx, cursor, []core.WebhookDelivery{d1, d2}))
		assert.Equal(t, stNormDelivery(d1), read(f, "d1"))
		assert.Equal(t, stPayload, read(f, "d1").Payload, "the payload's bytes")
		assert.Equal(t, stNormDelivery(d2), read(f, "d2"))
		_, err := f.s.Webhooks.Delivery(f.ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound)

		// A redelivery with every field set.
		again := delivery("d3", "w1", 5)
		again.Payload, again.RedeliveryOf = stPayload, "d1"
		again.Status, again.Attempts, again.LastAttemptAt = core.DeliveryDelivered, 2, stPtr(stAt(6))
		again.LastStatus, again.LastError, again.DeliveredAt = 204, "an earlier error", stPtr(stAt(7))
		require.NoError(t, f.s.Webhooks.CreateDelivery(f.ctx, again))
		assert.Equal(t, stNormDelivery(again), read(f, "d3"))
		assert.ErrorIs(t, f.s.Webhooks.CreateDelivery(f.ctx, again), core.ErrAlreadyExists)
		assert.ErrorIs(t, f.s.Webhooks.CreateDelivery(f.ctx, delivery("d4", "nope", 5)), core.ErrNotFound,
			"a delivery of a missing webhook")
		_, err = f.s.Webhooks.Delivery(f.ctx, "d4")
		assert.ErrorIs(t, err, core.ErrNotFound)

		// A batch with a taken id stores nothing, nor its cursor.
		err = f.s.Webhooks.ConsumeChanges(f.ctx, "", []core.WebhookDelivery{delivery("d5", "w1", 8), delivery("d1", "w2", 8)})
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
		_, err = f.s.Webhooks.Delivery(f.ctx, "d5")
		assert.ErrorIs(t, err, core.ErrNotFound, "ConsumeChanges is all or nothing")
		stored, err := f.s.Webhooks.WebhookCursor(f.ctx)
		require.NoError(t, err)
		assert.Equal(t, cursor, stored)
		assert.Equal(t, stNormDelivery(d1), read(f, "d1"), "the delivery whose id was taken is as it was")

		// Deliveries of a webhook deleted since they were made are dropped; the rest are stored.
		require.NoError(t, f.s.Webhooks.ConsumeChanges(f.ctx, cursor,
			[]core.WebhookDelivery{delivery("d6", "gone", 9), delivery("d7", "w2", 9)}))
		_, err = f.s.Webhooks.Delivery(f.ctx, "d6")
		assert.ErrorIs(t, err, core.ErrNotFound)
		assert.Equal(t, stNormDelivery(delivery("d7", "w2", 9)), read(f, "d7"))
	})

	t.Run("due deliveries are the pending ones due by now, the earliest first, up to the limit", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		hook(f, "w2", 2)
		at := func(id, webhookID string, i int, status core.DeliveryStatus) core.WebhookDelivery {
			d := delivery(id, webhookID, 0)
			d.NextAttemptAt, d.Status = stAt(i), status
			return d
		}
		consume(f, at("a5", "w1", 5, core.DeliveryPending), at("b1", "w2", 1, core.DeliveryPending),
			at("c3", "w1", 3, core.DeliveryPending), at("d9", "w2", 9, core.DeliveryPending),
			at("e0", "w1", 0, core.DeliveryDelivered), at("f0", "w2", 0, core.DeliveryFailed))
		assert.Equal(t, []string{"c3", "a5"}, due(f, "w1", stAt(5), 10), "due at now included; delivered never; one webhook's")
		assert.Equal(t, []string{"b1"}, due(f, "w2", stAt(5), 10), "failed never")
		assert.Equal(t, []string{"c3"}, due(f, "w1", stAt(5), 1))
		assert.Equal(t, []string{"b1", "d9"}, due(f, "w2", stAt(100), 10))
		assert.Empty(t, due(f, "w1", stAt(0), 10))
		assert.Empty(t, due(f, "w9", stAt(100), 10), "an unknown webhook has none")
		ds, err := f.s.Webhooks.DueDeliveries(f.ctx, "w2", stAt(1), 10)
		require.NoError(t, err)
		require.Len(t, ds, 1)
		assert.Equal(t, stNormDelivery(at("b1", "w2", 1, core.DeliveryPending)), stNormDelivery(ds[0]), "every field")

		b1, d9 := read(f, "b1"), read(f, "d9")
		b1.Status, b1.Attempts, b1.DeliveredAt = core.DeliveryDelivered, 1, stPtr(stAt(2))
		d9.Attempts, d9.NextAttemptAt = 1, stAt(4)
		require.NoError(t, f.s.Webhooks.UpdateDelivery(f.ctx, b1))
		require.NoError(t, f.s.Webhooks.UpdateDelivery(f.ctx, d9))
		assert.Equal(t, []string{"d9"}, due(f, "w2", stAt(5), 10), "after the updates")
		assert.Equal(t, []string{"c3", "a5"}, due(f, "w1", stAt(5), 10))

		for _, limit := range []int{0, -1} {
			_, err := f.s.Webhooks.DueDeliveries(f.ctx, "w1", stAt(5), limit)
			assert.ErrorIs(t, err, core.ErrInvalidArgument, "limit %d", limit)
		}
	})

	t.Run("pruning deletes settled deliveries made before a time, oldest first, never pending ones", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		settled := func(id string, i int, status core.DeliveryStatus) core.WebhookDelivery {
			d := delivery(id, "w1", i)
			d.Status = status
			return d
		}
		consume(f, settled("a", 3, core.DeliveryDelivered), settled("b", 1, core.DeliveryFailed),
			settled("c", 2, core.DeliveryPending), settled("d", 5, core.DeliveryDelivered), settled("e", 4, core.DeliveryDelivered))
		gone := func(ids ...string) {
			t.Helper()
			for _, id := range ids {
				_, err := f.s.Webhooks.Delivery(f.ctx, id)
				assert.ErrorIs(t, err, core.ErrNotFound, id)
			}
		}
		n, err := f.s.Webhooks.PruneDeliveries(f.ctx, stAt(5), 2)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "the limit")
		gone("b", "a")
		for _, id := range []string{"c", "d", "e"} {
			read(f, id)
		}
		n, err = f.s.Webhooks.PruneDeliveries(f.ctx, stAt(5), 10)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "e; c is pending and d not older than the time")
		gone("e")
		read(f, "c")
		read(f, "d")
		_, err = f.s.Webhooks.PruneDeliveries(f.ctx, stAt(5), 0)
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})

	t.Run("UpdateDelivery stores every outcome field and nothing else", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		d := delivery("d1", "w1", 1)
		d.Payload = stPayload
		consume(f, d)

		retry := d
		retry.Status, retry.Attempts, retry.NextAttemptAt = core.DeliveryPending, 3, stAt(50)
		retry.LastAttemptAt, retry.LastStatus, retry.LastError = stPtr(stAt(40)), 503, "the receiver answered 503"
		changed := retry // with fields that are not the outcome's changed too: they are not stored
		changed.WebhookID, changed.ConversationID, changed.Seq, changed.EventType = "w9", "c9", 99, core.EventMemberLeft
		changed.Payload, changed.CreatedAt, changed.RedeliveryOf = []byte("other"), stAt(90), "d0"
		require.NoError(t, f.s.Webhooks.UpdateDelivery(f.ctx, changed))
		assert.Equal(t, stNormDelivery(retry), read(f, "d1"))

		delivered := retry
		delivered.Status, delivered.Attempts, delivered.LastAttemptAt = core.DeliveryDelivered, 4, stPtr(stAt(60))
		delivered.LastStatus, delivered.LastError, delivered.DeliveredAt = 200, "", stPtr(stAt(61))
		require.NoError(t, f.s.Webhooks.UpdateDelivery(f.ctx, delivered))
		got := read(f, "d1")
		assert.Equal(t, stNormDelivery(delivered), got)
		assert.Equal(t, stPayload, got.Payload, "the payload's bytes")

		cleared := delivered
		cleared.Status, cleared.Attempts, cleared.LastAttemptAt, cleared.DeliveredAt = core.DeliveryFailed, 0, nil, nil
		cleared.LastStatus, cleared.LastError, cleared.NextAttemptAt = 0, "no response: timeout", stAt(70)
		require.NoError(t, f.s.Webhooks.UpdateDelivery(f.ctx, cleared))
		assert.Equal(t, stNormDelivery(cleared), read(f, "d1"), "times cleared")

		gone := delivery("nope", "w1", 1)
		assert.ErrorIs(t, f.s.Webhooks.UpdateDelivery(f.ctx, gone), core.ErrNotFound)
		_, err := f.s.Webhooks.Delivery(f.ctx, "nope")
		assert.ErrorIs(t, err, core.ErrNotFound, "updating a missing delivery creates none")
	})

	t.Run("a webhook's deliveries are listed newest first, of one status or all, page by page", func(t *testing.T) {
		t.Parallel()
		f := newStFixture(t, newStore)
		hook(f, "w1", 1)
		hook(f, "w2", 2)
		statuses := map[string]core.DeliveryStatus{"d01": core.DeliveryDelivered, "d02": core.DeliveryPending,
			"d03": core.DeliveryFailed, "d04": core.DeliveryDelivered, "d05": core.DeliveryPending, "d06": core.DeliveryDelivered,
			"d07": core.DeliveryDelivered}
		for i, id := range []string{"d04", "d07", "d01", "d06", "d02", "d05", "d03"} { // out of order
			d := delivery(id, "w1", i)
			d.Status = statuses[id]
			if i%2 == 0 {
				consume(f, d)
			} else {
				require.NoError(t, f.s.Webhooks.CreateDelivery(f.ctx, d))
			}
		}
		consume(f, delivery("d08", "w2", 8), delivery("d09", "w2", 9))

		for _, limit := range []int{1, 2, 3, 7, 50} {
			assert.Equal(t, []string{"d07", "d06", "d05", "d04", "d03", "d02", "d01"}, listed(f, "w1", "", limit), "limit %d", limit)
			assert.Equal(t, []string{"d07", "d06", "d04", "d01"}, listed(f, "w1", core.DeliveryDelivered, limit), "limit %d", limit)
		}
		assert.Equal(t, []string{"d05", "d02"}, listed(f, "w1", core.DeliveryPending, 1))
		assert.Equal(t, []string{"d03"}, listed(f, "w1", core.DeliveryFailed, 1))
		assert.Equal(t, []string{"d09", "d08"}, listed(f, "w2", "", 1))
		assert.Empty(t, listed(f, "w2", core.DeliveryFailed, 10))
		assert.Empty(t, listed(f, "nope", "", 10))

		page, err := f.s.Webhooks.Deliveries(f.ctx, "w1", "", core.PageRequest{Limit: 2})
		require.NoError(t, err)
		require.Len(t, page.Items, 2)
		d7 := delivery("d07", "w1", 1)
		d7.Status = core.DeliveryDelivered
		assert.Equal(t, stNormDelivery(d7), stNormDelivery(page.Items[0]), "every field")
		_, err = f.s.Webhooks.Deliveries(f.ctx, "w1", "", core.PageRequest{Cursor: "%%%"})
		assert.ErrorIs(t, err, core.ErrInvalidArgument)
	})
}
