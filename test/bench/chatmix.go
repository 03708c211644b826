package main

import (
	"context"

	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// chatmix is everyday chat: thousands of users in small groups, all connected, a random one sending each
// time at stepped total rates. It measures the per-message cost (sequencing, storage, routing to rooms) that
// large fan-outs amortise.
func (b *bench) chatmix(ctx context.Context, t *target, fx *fixture, tr *TargetResult) (*ChatmixResult, error) {
	sz := b.cfg.sizes
	n, size := sz.ChatUsers, sz.GroupSize
	const label = "chatmix"
	b.prog.set(t.name, label, "setup", 0, 0)
	if err := setup(tr, label, func() error { return fx.ensureGroups(ctx, n, size) }); err != nil {
		return nil, err
	}
	res := &ChatmixResult{Users: n, GroupSize: size, Groups: (n + size - 1) / size}
	socks := make([]loadgen.Socket, n)
	for i := range socks {
		socks[i] = loadgen.Socket{URL: t.urls[i%len(t.urls)], Token: fx.users[i].Token}
	}
	defer b.closeGroup(ctx, label)
	c, err := b.connectAll(ctx, t, label, false, socks)
	if c == nil {
		return nil, err
	}
	res.Connect = c
	if err != nil {
		return res, err
	}
	// Every connected user may send, to its group; a message is due to every connected member of the group.
	senders := make([][]loadgen.Sender, len(b.pool.ws))
	recipients := make([][]uint64, len(b.pool.ws))
	firsts := make([][]loadgen.Sender, len(b.pool.ws)) // one sender per group, for the warm-up
	warmed := map[string]bool{}
	var fan float64
	for i := range n {
		if c.failedAt[i] {
			continue
		}
		g := fx.groupOf(i, size)
		var live uint64
		for _, m := range g.Members {
			if !c.failedAt[m] {
				live++
			}
		}
		w, idx := b.pool.where(i)
		snd := loadgen.Sender{Group: label, Index: idx, Conv: g.ID}
		senders[w] = append(senders[w], snd)
		recipients[w] = append(recipients[w], live)
		if !warmed[g.ID] {
			warmed[g.ID] = true
			firsts[w] = append(firsts[w], snd)
		}
		fan += float64(live)
	}
	fan /= float64(c.Connected)
	if res.Warmup, err = b.warmup(ctx, t, label, firsts); err != nil {
		return res, err
	}
	res.Steps, res.saturation, err = b.sweep(ctx, t, label, sz.ChatRates, func(rate float64) rateSpec {
		return rateSpec{label: label, rate: rate, senders: senders, random: true, fan: fan,
			expected: func(perSender [][]int) uint64 {
				var due uint64
				for w, ps := range perSender {
					for k, acked := range ps {
						due += uint64(acked) * recipients[w][k]
					}
				}
				return due
			}}
	})
	return res, err
}
