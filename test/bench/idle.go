package main

import (
	"context"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// idle connects batches of sockets that then do nothing, to one server process (one gateway of a cluster),
// and reads what they cost it: memory and goroutines per socket, from the empty server and from the slope
// between batches, and how fast it accepts connections. Nothing is forced on the server (no GC).
func (b *bench) idle(ctx context.Context, t *target, fx *fixture, tr *TargetResult) (*IdleResult, error) {
	sz := b.cfg.sizes
	const label = "idle"
	p := t.servers[t.idle]
	url := t.urls[0] // the idle process: the first origin (gateway-1 in a cluster)
	if t.name == "cluster" && p.Name != "gateway-1" {
		return nil, fmt.Errorf("idle: expected gateway-1 at index %d, found %s", t.idle, p.Name)
	}
	total := sz.Idle[len(sz.Idle)-1]
	var users []user
	if !t.raw {
		b.prog.set(t.name, label, "setup", 0, 0)
		err := setup(tr, label, func() (err error) {
			users, err = fx.newUsers(ctx, "idle", (total+sz.IdlePerUser-1)/sz.IdlePerUser)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	res := &IdleResult{Process: p.Name}
	b.settle(ctx, t)
	sleepCtx(ctx, sz.Settle)
	empty := b.take(ctx, t)
	res.EmptyRSSBytes = empty.rss[p.Name]
	if m := empty.metrics[p.Name]; m != nil {
		res.EmptyGoroutines = int64(m.Value("go_goroutines"))
	}
	defer func() {
		b.closeGroup(ctx, label)
		b.waitDrained(ctx, t, p, res.EmptyGoroutines)
	}()
	prev := 0
	var prevRSS, prevGor = res.EmptyRSSBytes, res.EmptyGoroutines
	for _, n := range sz.Idle {
		socks := make([]loadgen.Socket, n-prev)
		for k := range socks {
			i := prev + k
			socks[k] = loadgen.Socket{URL: url}
			if !t.raw {
				socks[k].Token = users[i/sz.IdlePerUser].Token
			}
		}
		b.prog.set(t.name, label, fmt.Sprintf("connecting to %d", n), 0, 0)
		c, err := b.connect(ctx, label, t.raw, false, prev, socks)
		if err != nil {
			return res, err
		}
		b.prog.set(t.name, label, fmt.Sprintf("%d idle", n), 0, 0)
		a := b.take(ctx, t)
		sleepCtx(ctx, sz.Settle)
		z := b.take(ctx, t)
		pt := IdlePoint{Sockets: n, Connected: c.Connected, Failed: c.Failed, BatchWallS: c.WallS,
			ConnectP50Ms: c.P50Ms, ConnectP99Ms: c.P99Ms, RSSBytes: z.rss[p.Name]}
		if c.WallS > 0 {
			pt.ConnectsPerS = float64(c.Connected) / c.WallS
		}
		if m := z.metrics[p.Name]; m != nil {
			pt.Goroutines = int64(m.Value("go_goroutines"))
		}
		f := figures(t, a, z, 0)
		pt.IdleCPUPct = f.ByProcess[p.Name]
		pt.RSSPerSocket = float64(pt.RSSBytes-res.EmptyRSSBytes) / float64(n)
		pt.SlopeRSSPerSocket = float64(pt.RSSBytes-prevRSS) / float64(n-prev)
		pt.GoroutinesPerSock = float64(pt.Goroutines-prevGor) / float64(n-prev)
		pt.GoroutinesPerSockEmpty = float64(pt.Goroutines-res.EmptyGoroutines) / float64(n)
		res.Points = append(res.Points, pt)
		prev, prevRSS, prevGor = n, pt.RSSBytes, pt.Goroutines
	}
	last := res.Points[len(res.Points)-1]
	slope := last.SlopeRSSPerSocket
	if len(res.Points) == 1 {
		slope = last.RSSPerSocket
	}
	res.Projected100kBytes = float64(res.EmptyRSSBytes) + slope*100_000
	res.Projected1MBytes = float64(res.EmptyRSSBytes) + slope*1_000_000
	return res, nil
}

// waitDrained waits (bounded) until a server has let go of closed sockets, judged by its goroutines, so that
// the next scenario starts from a quiet server.
func (b *bench) waitDrained(ctx context.Context, t *target, p proc, goroutines int64) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s := b.take(ctx, t)
		m := s.metrics[p.Name]
		if m == nil || int64(m.Value("go_goroutines")) <= goroutines+goroutines/5+50 {
			return
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
}
