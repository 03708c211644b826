package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// feedAfter reads the change feed from after until it has n changes, waiting for transactions of other tests
// (the feed's reader waits for every older transaction of the server), and returns them with the cursor.
func feedAfter(t *testing.T, s *Store, after string, n int) ([]core.FeedChange, string) {
	t.Helper()
	var all []core.FeedChange
	cursor, deadline := after, time.Now().Add(15*time.Second)
	for len(all) < n {
		require.True(t, time.Now().Before(deadline), "the feed showed %+v only", all)
		page, next, err := s.Changes(context.Background(), cursor, 10)
		require.NoError(t, err)
		all, cursor = append(all, page...), next
		if len(page) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return all, cursor
}

// TestChangeFeedWaitsForOlderTransactions checks the feed's visibility rule: a transaction that appended first
// (its row has the smaller xid) but commits last must not be skipped, so the reader may not pass a later
// transaction's committed row while the earlier one is open.
func TestChangeFeedWaitsForOlderTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t)
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b", "c"} {
		_, _, err := s.CreateConversation(ctx, core.Conversation{ID: id, Kind: core.KindGroup, Title: id, CreatedBy: "u1",
			CreatedAt: at, LastActivityAt: at}, []core.Member{{ConversationID: id, UserID: "u1", Role: core.RoleOwner, JoinedAt: at}})
		require.NoError(t, err)
	}
	send := func(ctx context.Context, tx ports.LedgerTx, conv string) error {
		m := core.Message{ID: conv + "-m1", ConversationID: conv, Seq: 1, SenderID: "u1", ClientMsgID: conv + "-k1", Body: "hi",
			CreatedAt: at}
		return tx.Append(ctx, core.Event{ConversationID: conv, Seq: 1, Type: core.EventMessageCreated, At: at, ActorID: "u1",
			Message: &m})
	}
	require.NoError(t, s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error { return send(ctx, tx, "c") }))
	_, start := feedAfter(t, s, "", 1) // a reader that is up to date

	// A appends, taking its transaction id, and stays open while B appends and commits.
	appended, release, doneA := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	releaseA := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseA) // before the store closes, which waits for A's connection
	go func() {
		doneA <- s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
			if err := send(ctx, tx, "a"); err != nil {
				return err
			}
			once.Do(func() { close(appended) })
			<-release
			return nil
		})
	}()
	<-appended
	require.NoError(t, s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error { return send(ctx, tx, "b") }))
	var committed int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM change_feed WHERE conversation_id = 'b'`).Scan(&committed))
	require.Equal(t, 1, committed, "B's change is committed")
	for range 5 {
		page, next, err := s.Changes(ctx, start, 10)
		require.NoError(t, err)
		require.Empty(t, page, "B's change shows while A, older, is open")
		require.Equal(t, start, next)
		time.Sleep(20 * time.Millisecond)
	}

	releaseA()
	require.NoError(t, <-doneA)
	got, _ := feedAfter(t, s, start, 2)
	assert.Equal(t, []core.FeedChange{{ConversationID: "a", FirstSeq: 1, LastSeq: 1}, {ConversationID: "b", FirstSeq: 1, LastSeq: 1}},
		got, "A's change, then B's")
}

// shortExclusive makes RunExclusive retry and ping every few milliseconds until t ends. The intervals are
// package variables, so the tests that call it do not run in parallel.
func shortExclusive(t *testing.T) {
	retry, ping := exclusiveRetry, exclusivePing
	exclusiveRetry, exclusivePing = 10*time.Millisecond, 50*time.Millisecond
	t.Cleanup(func() { exclusiveRetry, exclusivePing = retry, ping })
}

func TestRunExclusiveExcludesOtherProcesses(t *testing.T) {
	shortExclusive(t)
	cfg := testConfig(t)
	s1, s2 := openTest(t, cfg), openTest(t, cfg) // two processes of one deployment
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop) // a failed test's callers end before the stores close
	var running atomic.Int32
	exclusive := func(entered chan<- struct{}, release <-chan struct{}, result error) func(context.Context) error {
		return func(ctx context.Context) error {
			if running.Add(1) != 1 {
				t.Error("two holders at once")
			}
			defer running.Add(-1)
			close(entered)
			select {
			case <-release:
				return result
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	entered1, release1, done1 := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done1 <- s1.RunExclusive(ctx, "webhooks", exclusive(entered1, release1, errors.New("first done")))
	}()
	<-entered1
	entered2, release2, done2 := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() { done2 <- s2.RunExclusive(ctx, "webhooks", exclusive(entered2, release2, nil)) }()

	require.NoError(t, s2.RunExclusive(ctx, "another", func(context.Context) error { return nil }),
		"another name is not excluded")
	wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err := s1.RunExclusive(wctx, "webhooks", func(context.Context) error {
		t.Error("a second holder in the same process")
		return nil
	})
	cancel()
	assert.ErrorIs(t, err, core.ErrUnavailable, "waiting ends with the context")
	select {
	case <-entered2:
		t.Fatal("the second process ran while the first held the lock")
	case <-time.After(300 * time.Millisecond): // many retries
	}

	close(release1)
	assert.EqualError(t, <-done1, "first done", "RunExclusive returns what fn returns")
	select {
	case <-entered2:
	case <-time.After(5 * time.Second):
		t.Fatal("the second process never took over")
	}
	close(release2)
	require.NoError(t, <-done2)
	assert.Zero(t, s1.pool.Stat().AcquiredConns(), "the holder's connection is not kept")

	entered3, release3 := make(chan struct{}), make(chan struct{})
	close(release3)
	require.NoError(t, s1.RunExclusive(ctx, "webhooks", exclusive(entered3, release3, nil)), "the lock is free again")
}

func TestRunExclusiveEndsWhenItsConnectionFails(t *testing.T) {
	shortExclusive(t)
	cfg := testConfig(t)
	s1, s2 := openTest(t, cfg), openTest(t, cfg)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop) // a failed test's callers end before the stores close
	entered, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s1.RunExclusive(ctx, "webhooks", func(ctx context.Context) error {
			close(entered)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-entered

	// End the holder's session from outside, as a server restart or a network failure would.
	key := uint64(exclusiveLockKey(cfg.Schema, "webhooks"))
	var terminated bool
	require.NoError(t, s2.pool.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 AND granted`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&terminated))
	require.True(t, terminated)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, core.ErrUnavailable, "the lost connection, not the cancelled context: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("fn's context was not cancelled")
	}

	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ran := false
	require.NoError(t, s2.RunExclusive(tctx, "webhooks", func(context.Context) error {
		ran = true
		return nil
	}), "another process takes over")
	assert.True(t, ran)
	_, err := s1.pool.Exec(ctx, `SELECT 1`)
	require.NoError(t, err, "the first store works on, without the failed connection")
}
