package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// stormConcurrency is how many handshakes each worker keeps in flight while reconnecting: a herd, as after
// a network blip or a gateway restart, but not an unbounded one (clients back off randomly).
const stormConcurrency = 128

// storm connects thousands of sockets of users with conversations, drops them all at once (TCP closed, as a
// network failure does) and reconnects them, each then calling sync with its cursor and waiting for the ack,
// while a pair of other users chats through it all and measures what that does to delivery latency.
func (b *bench) storm(ctx context.Context, t *target, fx *fixture, tr *TargetResult) (*StormResult, error) {
	sz := b.cfg.sizes
	n := sz.Storm
	per := max(sz.StormPerUser, 1)
	users := (n + per - 1) / per // socket i belongs to pool user i/per
	const label, probeLabel = "storm", "storm-probe"
	b.prog.set(t.name, label, "setup", 0, 0)
	var probeConv string
	var pair []user
	syncs := []string{}
	syncIdx := make([]int, n)
	err := setup(tr, label, func() error {
		if err := fx.ensureGroups(ctx, users, sz.GroupSize); err != nil {
			return err
		}
		var err error
		if pair, err = fx.newUsers(ctx, "probe", 2); err != nil {
			return err
		}
		if probeConv, err = fx.direct(ctx, pair[0], pair[1]); err != nil {
			return err
		}
		// Each socket's cursor is its group's last seq: what a client that was up to date would send.
		groups := (users + sz.GroupSize - 1) / sz.GroupSize
		seqs := make([]int64, groups)
		if err := parallel(ctx, groups, func(ctx context.Context, g int) error {
			var err error
			seqs[g], err = fx.lastSeq(ctx, fx.users[g*sz.GroupSize], fx.groups[g].ID)
			return err
		}); err != nil {
			return err
		}
		for g, seq := range seqs {
			syncs = append(syncs, fmt.Sprintf(`{"cursors":{%q:%d}}`, fx.groups[g].ID, seq))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range syncIdx {
		syncIdx[i] = i / per / sz.GroupSize
	}
	socks := make([]loadgen.Socket, n)
	for i := range socks {
		socks[i] = loadgen.Socket{URL: t.urls[i%len(t.urls)], Token: fx.users[i/per].Token}
	}
	b.prog.set(t.name, label, "connecting", 0, 0)
	defer b.closeGroup(ctx, label)
	c, err := b.connect(ctx, label, false, false, 0, socks)
	if err != nil {
		return nil, err
	}
	defer b.closeGroup(ctx, probeLabel)
	// The pair talks across the first and the last origin (two gateways of a cluster).
	pc, err := b.connect(ctx, probeLabel, false, true, 0, []loadgen.Socket{
		{URL: t.urls[0], Token: pair[0].Token}, {URL: t.urls[len(t.urls)-1], Token: pair[1].Token}})
	if err != nil {
		return nil, err
	}
	if pc.Connected != 2 {
		return nil, fmt.Errorf("probe sockets: %d of 2 connected: %s", pc.Connected, pc.Failed.First)
	}
	b.settle(ctx, t)
	res := &StormResult{Sockets: n, Connected: c.Connected, DeadlineS: sz.StormDeadline.Seconds()}

	senders := make([][]loadgen.Sender, len(b.pool.ws))
	w0, i0 := b.pool.where(0)
	senders[w0] = []loadgen.Sender{{Group: probeLabel, Index: i0, Conv: probeConv}}
	lead := sz.StormLead
	if _, err := b.warmup(ctx, t, label, senders); err != nil {
		return res, err
	}
	var mu sync.Mutex
	var results []loadgen.ResumeResult
	var dropAt time.Time
	spec := rateSpec{label: label, rate: sz.ProbeRate, senders: senders, fan: 2,
		dur: lead + sz.StormDeadline + lead, tail: lead,
		expected: func(perSender [][]int) uint64 {
			var acked uint64
			for _, ps := range perSender {
				for _, k := range ps {
					acked += uint64(k)
				}
			}
			return acked * 2
		},
		during: func(ctx context.Context) error {
			sleepCtx(ctx, lead)
			b.prog.set(t.name, label, "dropping", sz.ProbeRate, 2)
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			dropAt = time.Now()
			if err := b.pool.each(dctx, loadgen.OpDrop, func(int) any { return loadgen.GroupArgs{Group: label} }, nil); err != nil {
				return err
			}
			b.prog.set(t.name, label, "reconnecting", sz.ProbeRate, 2)
			deadline := dropAt.Add(sz.StormDeadline)
			rctx, rcancel := context.WithDeadline(ctx, deadline.Add(10*time.Second))
			defer rcancel()
			out := make([]loadgen.ResumeResult, len(b.pool.ws))
			err := b.pool.each(rctx, loadgen.OpResume, func(w int) any {
				var idx []int
				for i := w; i < n; i += len(b.pool.ws) {
					idx = append(idx, syncIdx[i])
				}
				return loadgen.ResumeArgs{Group: label, Source: b.pool.source(), Concurrency: stormConcurrency,
					DeadlineNs: deadline.UnixNano(), Sync: syncs, SyncIdx: idx}
			}, func(w int) any { return &out[w] })
			mu.Lock()
			results = out
			mu.Unlock()
			return err
		}}
	b.prog.set(t.name, label, "probing", sz.ProbeRate, 2)
	probe, err := b.step(ctx, t, spec)
	if probe != nil {
		res.Probe = probe
		res.Server = probe.Server
	}
	mu.Lock()
	defer mu.Unlock()
	var last int64
	var conn, syncLat hist.H
	for _, r := range results {
		res.Resumed += r.Resumed
		res.Failed.Add(r.Failed)
		res.SyncOK += r.SyncOK
		res.SyncErrors += r.SyncErrors
		res.SyncTimeouts += r.SyncTimeouts
		for k, v := range r.SyncCodes {
			if res.SyncCodes == nil {
				res.SyncCodes = map[string]int{}
			}
			res.SyncCodes[k] += v
		}
		conn.Merge(&r.ConnectLatency)
		syncLat.Merge(&r.SyncLatency)
		last = max(last, r.LastNs)
	}
	if last > 0 {
		res.DurationS = time.Unix(0, last).Sub(dropAt).Seconds()
		res.ReconnectsPerS = float64(res.Resumed) / res.DurationS
	}
	res.ConnectP50Ms, res.ConnectP99Ms = ms(conn.Quantile(0.5)), ms(conn.Quantile(0.99))
	res.SyncP50Ms, res.SyncP99Ms = ms(syncLat.Quantile(0.5)), ms(syncLat.Quantile(0.99))
	return res, err
}
