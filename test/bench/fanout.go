package main

import (
	"context"
	"fmt"

	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// fanout is one channel whose every member is connected, a few of them sending at stepped rates: how many
// deliveries a second the target sustains, at what latency and CPU cost per delivery.
func (b *bench) fanout(ctx context.Context, t *target, fx *fixture, tr *TargetResult, fs fanoutSize) (*FanoutResult, error) {
	n := fs.Members
	res := &FanoutResult{Members: n, Senders: min(b.cfg.sizes.FanoutSenders, n)}
	label := fmt.Sprintf("fanout-%d", n)
	b.prog.set(t.name, label, "setup", 0, 0)
	socks := make([]loadgen.Socket, n)
	conv := "" // the baseline has no conversations: everything is broadcast
	if !t.raw {
		err := setup(tr, label, func() (err error) {
			conv, err = fx.channel(ctx, n)
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range socks {
			socks[i] = loadgen.Socket{URL: t.urls[i%len(t.urls)], Token: fx.users[i].Token}
		}
	} else {
		for i := range socks {
			socks[i] = loadgen.Socket{URL: t.urls[0]}
		}
	}
	defer b.closeGroup(ctx, label)
	c, err := b.connectAll(ctx, t, label, t.raw, socks)
	if c == nil {
		return nil, err
	}
	res.Connect = c
	if err != nil {
		return res, err
	}
	senders := make([][]loadgen.Sender, len(b.pool.ws))
	for i := 0; i < n && countSenders(senders) < res.Senders; i++ {
		if c.failedAt[i] {
			continue
		}
		w, idx := b.pool.where(i)
		senders[w] = append(senders[w], loadgen.Sender{Group: label, Index: idx, Conv: conv})
	}
	if res.Warmup, err = b.warmup(ctx, t, label, senders); err != nil {
		return res, err
	}
	members := uint64(c.Connected)
	res.Steps, res.saturation, err = b.sweep(ctx, t, label, fs.Rates, func(rate float64) rateSpec {
		return rateSpec{label: label, rate: rate, senders: senders, raw: t.raw, fan: float64(members),
			expected: func(perSender [][]int) uint64 {
				var acked uint64
				for _, ps := range perSender {
					for _, k := range ps {
						acked += uint64(k)
					}
				}
				return acked * members
			}}
	})
	return res, err
}
