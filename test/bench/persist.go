package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
)

// persist is the REST throughput figure the README has cited from the start: senders (each its own user and
// group) POST messages back to back; a 201 is stored with its seq, a 202 is durable in the log with its seq
// pending (distributed roles). Nobody listens: this is the write path alone.
func (b *bench) persist(ctx context.Context, t *target, fx *fixture, tr *TargetResult) (*PersistResult, error) {
	sz := b.cfg.sizes
	n := sz.PersistSenders
	const label = "persist"
	b.prog.set(t.name, label, "setup", 0, 0)
	convs := make([]string, n)
	err := setup(tr, label, func() error {
		if err := fx.ensureUsers(ctx, n); err != nil {
			return err
		}
		return parallel(ctx, n, func(ctx context.Context, i int) error {
			var err error
			convs[i], err = fx.conversation(ctx, fx.users[i], map[string]any{"kind": "group",
				"title": fmt.Sprintf("bench persist %d", i)})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	b.settle(ctx, t)
	b.prog.set(t.name, label, fmt.Sprintf("%d senders", n), 0, 0)
	res := &PersistResult{Senders: n}
	var mu sync.Mutex
	var lat hist.H
	tag := b.tags.Add(1) // only to make clientMsgIds unique across runs on one server
	s0 := b.take(ctx, t)
	start := time.Now()
	sctx, cancel := context.WithDeadline(ctx, start.Add(sz.PersistDuration))
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, base := fx.users[i], t.urls[i%len(t.urls)]
			var mine hist.H
			var sent, seq, acc, errs int
			var first string
			for k := 0; sctx.Err() == nil; k++ {
				t0 := time.Now()
				status, err := fx.api.do(sctx, base, u.Token, http.MethodPost, "/v1/conversations/"+convs[i]+"/messages",
					map[string]string{"clientMsgId": fmt.Sprintf("p%d-%d-%d", tag, i, k), "body": "benchmark message"},
					nil, http.StatusCreated, http.StatusAccepted)
				if sctx.Err() != nil && err != nil {
					break // cut off by the end of the run, not a failure
				}
				sent++
				switch {
				case err != nil:
					errs++
					if first == "" {
						first = err.Error()
					}
				case status == http.StatusCreated:
					seq++
					mine.RecordDuration(time.Since(t0))
				default:
					acc++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat.Merge(&mine)
			res.Sent += sent
			res.Sequenced += seq
			res.Accepted += acc
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = first
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	s1 := b.take(ctx, t)
	res.DurationS = elapsed.Seconds()
	res.PerS = float64(res.Sequenced+res.Accepted) / elapsed.Seconds()
	res.P50Ms, res.P99Ms = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.99))
	res.Server = figures(t, s0, s1, 0)
	res.Batches, res.BatchSize, res.BatchMeanMs = batchFigures(t, s0, s1)
	if stored := res.Sequenced + res.Accepted; stored > 0 {
		res.Server.CPUUsPerDelivery = res.Server.CPUSeconds * 1e6 / float64(stored) // per persisted message
	}
	return res, nil
}

// batchFigures sums the servers' sequencer batch metrics between two samples: the batch count, their mean
// size and mean duration.
func batchFigures(t *target, a, z sample) (n int, size, meanMs float64) {
	var count, sizes, seconds float64
	for _, p := range t.servers {
		before, after := a.metrics[p.Name], z.metrics[p.Name]
		if before == nil || after == nil {
			continue
		}
		d := func(name string) float64 { return after[name] - before[name] }
		count += d("scalechat_sequencer_batch_seconds_count")
		seconds += d("scalechat_sequencer_batch_seconds_sum")
		sizes += d("scalechat_sequencer_batch_size_sum")
	}
	if count <= 0 {
		return 0, 0, 0
	}
	return int(count), sizes / count, seconds * 1000 / count
}
