package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

func TestUpdateRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.UpdateRetries = 3
	s := openTest(t, cfg)
	require.NoError(t, s.Migrate(context.Background()))
	for name, tc := range map[string]struct {
		err      error
		failures int // attempts that fail before one succeeds
		attempts int
		want     error
	}{
		"serialization failure": {translate(&pgconn.PgError{Code: "40001"}, ""), 2, 3, nil},
		"deadlock":              {translate(&pgconn.PgError{Code: "40P01"}, ""), 1, 2, nil},
		"retries run out":       {translate(&pgconn.PgError{Code: "40001"}, ""), 100, 4, core.ErrUnavailable},
		"constraint violation":  {translate(&pgconn.PgError{Code: "23505"}, "message"), 100, 1, core.ErrAlreadyExists},
		"fn's own error":        {errors.New("boom"), 100, 1, nil},
	} {
		var n int
		err := s.Update(context.Background(), func(context.Context, ports.LedgerTx) error {
			n++
			if n <= tc.failures {
				return tc.err
			}
			return nil
		})
		assert.Equal(t, tc.attempts, n, name)
		switch {
		case tc.failures < tc.attempts:
			assert.NoError(t, err, name)
		case tc.want != nil:
			assert.ErrorIs(t, err, tc.want, name)
		default:
			assert.Same(t, tc.err, err, "%s: fn's error comes back unchanged", name)
		}
	}
}

// TestUpdateRecoversFromARealDeadlock locks two conversations in opposite orders from two transactions. The
// server aborts one of them (40P01, after deadlock_timeout), and Update runs it again; both succeed.
func TestUpdateRecoversFromARealDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t)
	for _, id := range []string{"a", "b"} {
		_, _, err := s.CreateConversation(ctx, core.Conversation{ID: id, Kind: core.KindGroup, Title: id,
			CreatedAt: foldEpoch, LastActivityAt: foldEpoch}, nil)
		require.NoError(t, err)
	}
	var attempts atomic.Int32
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	lockBoth := func(first, second string) error {
		firstTry := true
		return s.Update(ctx, func(ctx context.Context, tx ports.LedgerTx) error {
			attempts.Add(1)
			if _, err := tx.Conversation(ctx, first); err != nil {
				return err
			}
			if firstTry {
				firstTry = false
				bothLocked.Done()
				bothLocked.Wait()
			}
			c, err := tx.Conversation(ctx, second)
			if err != nil {
				return err
			}
			m := core.Message{ID: first + "-" + second, SenderID: "u1", ClientMsgID: first, Body: "x", CreatedAt: foldEpoch}
			return tx.Append(ctx, core.Event{ConversationID: second, Seq: c.LastSeq + 1, Type: core.EventMessageCreated,
				At: time.Now(), ActorID: "u1", Message: &m})
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockBoth("a", "b") }()
	go func() { errs <- lockBoth("b", "a") }()
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	// One transaction ran again at least; a retry may race the survivor to a lock and deadlock once more.
	assert.GreaterOrEqual(t, attempts.Load(), int32(3))
	for _, id := range []string{"a", "b"} {
		c, err := s.Conversation(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, int64(1), c.LastSeq)
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want core.Code
	}{
		{&pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint"}, core.CodeAlreadyExists},
		{&pgconn.PgError{Code: "23503"}, core.CodeNotFound},
		{&pgconn.PgError{Code: "40001"}, core.CodeUnavailable},
		{&pgconn.PgError{Code: "40P01"}, core.CodeUnavailable},
		{&pgconn.PgError{Code: "57P01"}, core.CodeUnavailable},
		{&pgconn.PgError{Code: "08006"}, core.CodeUnavailable},
		{&pgconn.PgError{Code: "42P01", Message: `relation "users" does not exist`}, core.CodeInternal},
		{context.Canceled, core.CodeUnavailable},
		{context.DeadlineExceeded, core.CodeUnavailable},
		{errors.New("something else"), core.CodeInternal},
		{core.Errorf(core.CodeConflict, "kept"), core.CodeConflict},
	} {
		err := translate(tc.err, "thing")
		assert.Equal(t, tc.want, core.CodeOf(err), "%v", tc.err)
		assert.ErrorIs(t, err, tc.err, "the driver error stays the cause")
		if pe, ok := tc.err.(*pgconn.PgError); ok && pe.Message != "" {
			assert.NotContains(t, core.AsError(err).Message, pe.Message, "driver text is not the message")
		}
	}
	assert.NoError(t, translate(nil, "thing"))
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"empty url":        {},
		"malformed url":    {URL: "postgres://u:secret@host:notaport/db"},
		"schema uppercase": {URL: defaultTestURL, Schema: "Test"},
		"schema injection": {URL: defaultTestURL, Schema: "x; DROP TABLE users"},
		"negative conns":   {URL: defaultTestURL, MaxConns: -1},
		"negative retries": {URL: defaultTestURL, UpdateRetries: -1},
		"negative timeout": {URL: defaultTestURL, ConnectTimeout: -time.Second},
	} {
		_, err := Open(context.Background(), cfg)
		assert.ErrorIs(t, err, core.ErrInvalidArgument, name)
		if err != nil {
			assert.NotContains(t, core.AsError(err).Message, "secret", name)
		}
	}
	cfg, err := Config{URL: defaultTestURL}.Validate()
	require.NoError(t, err)
	assert.Equal(t, int32(DefaultMaxConns), cfg.MaxConns)
	assert.Equal(t, DefaultUpdateRetries, cfg.UpdateRetries)
	assert.Equal(t, DefaultConnectTimeout, cfg.ConnectTimeout)
}
