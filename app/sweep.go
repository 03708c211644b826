package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// sweepBatch is how many expired sessions one statement deletes.
const sweepBatch = 1000

// SessionSweep deletes expired sessions (an expired session already authenticates nothing; this keeps the
// table to the live ones) and uploads no message linked within the orphan TTL, blobs and all. It runs in the
// roles that sequence: standalone, worker and all.
type SessionSweep struct {
	store     ports.SessionStore
	orphans   *chat.OrphanSweeper // nil: uploads are not swept
	orphanTTL time.Duration
	every     time.Duration
	log       *slog.Logger
}

// ProvideSessionSweep sweeps the role's session store and attachments every cfg.SessionSweepEvery.
func ProvideSessionSweep(cfg Config, log *slog.Logger, store ports.SessionStore, attachments ports.AttachmentStore,
	blobs ports.BlobStore) *SessionSweep {
	return &SessionSweep{store: store, orphans: chat.NewOrphanSweeper(attachments, blobs, log),
		orphanTTL: cfg.OrphanUploadTTL, every: cfg.SessionSweepEvery, log: log}
}

// NoSessionSweep is for roles that leave the sweep to others (gateways).
func NoSessionSweep() *SessionSweep { return nil }

// Run sweeps at once and then every period, until ctx ends.
func (w *SessionSweep) Run(ctx context.Context) {
	if w == nil || w.every <= 0 {
		return
	}
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		if n, err := w.Sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
			w.log.Warn("sweeping expired sessions", "err", err, "deleted", n)
		} else if n > 0 {
			w.log.Info("swept expired sessions", "deleted", n)
		}
		if n, err := w.SweepOrphans(ctx, time.Now()); err != nil && ctx.Err() == nil {
			w.log.Warn("sweeping orphan uploads", "err", err, "deleted", n)
		} else if n > 0 {
			w.log.Info("swept orphan uploads", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep deletes every session expired at now, a batch at a time, and says how many.
func (w *SessionSweep) Sweep(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		n, err := w.store.DeleteExpiredSessions(ctx, now, sweepBatch)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

// SweepOrphans deletes the uploads still unattached OrphanUploadTTL after they were made, and says how many.
func (w *SessionSweep) SweepOrphans(ctx context.Context, now time.Time) (int, error) {
	if w.orphans == nil {
		return 0, nil
	}
	return w.orphans.Sweep(ctx, now.Add(-w.orphanTTL))
}
