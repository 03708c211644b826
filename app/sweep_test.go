package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/sqlite"
	"github.com/scalechat/scalechat/core"
)

// The sweep deletes every expired session, past one statement's batch, and nothing live; Run sweeps at once.
func TestSessionSweep(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: t.TempDir() + "/scalechat.db"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	now := time.Now().UTC().Truncate(time.Millisecond)
	const expired, live = sweepBatch + 7, 3
	for i := range expired + live {
		exp := now.Add(-time.Duration(i+1) * time.Minute)
		if i >= expired {
			exp = now.Add(time.Hour)
		}
		require.NoError(t, store.CreateSession(ctx, core.Session{TokenHash: fmt.Sprintf("h%d", i), UserID: "u1",
			CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: exp}))
	}
	w := &SessionSweep{store: store, every: time.Hour, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	require.Eventually(t, func() bool {
		_, err := store.Session(ctx, "h0") // the last expired, so the last swept (oldest first)
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "Run sweeps at once")
	stop()
	<-done
	for i := range expired + live {
		_, err := store.Session(ctx, fmt.Sprintf("h%d", i))
		if i < expired {
			assert.ErrorIs(t, err, core.ErrNotFound, "h%d expired", i)
		} else {
			assert.NoError(t, err, "h%d is live", i)
		}
	}
	n, err := w.Sweep(ctx, now)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to sweep")
}
