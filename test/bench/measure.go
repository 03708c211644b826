package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/scalechat/scalechat/test/bench/probe"
)

// sample is the state of a target's processes at one moment.
type sample struct {
	at      time.Time
	cpu     map[string]time.Duration // by process name; extras and databases too
	dbCPU   map[int]time.Duration    // Redis and PostgreSQL processes by PID (they come and go)
	dbName  map[int]string
	rss     map[string]int64
	metrics map[string]probe.Metrics
	gen     time.Duration // the load generator
	errs    []string
}

// scrapeTimeout bounds a /metrics scrape: a server too busy to answer in time is reported as such rather
// than holding up the step.
const scrapeTimeout = 3 * time.Second

// take samples every process of t: CPU and RSS from /proc, /metrics of each server (concurrently).
func (b *bench) take(ctx context.Context, t *target) sample {
	s := sample{at: time.Now(), cpu: map[string]time.Duration{}, rss: map[string]int64{},
		metrics: map[string]probe.Metrics{}, dbCPU: map[int]time.Duration{}, dbName: map[int]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range t.servers {
		if p.MetricsURL == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := probe.Scrape(ctx, b.scrape, p.MetricsURL)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.errs = append(s.errs, fmt.Sprintf("%s: %v", p.Name, err))
				return
			}
			s.metrics[p.Name] = m
		}()
	}
	for _, p := range append(append([]proc(nil), t.servers...), t.extras...) {
		if c, err := probe.CPU(p.PID); err == nil {
			s.cpu[p.Name] = c
		}
		if r, err := probe.RSS(p.PID); err == nil {
			s.rss[p.Name] = r
		}
	}
	if t.dbs {
		for _, name := range []string{"redis-server", "postgres"} {
			for _, pid := range probe.FindByName(name) {
				if c, err := probe.CPU(pid); err == nil {
					s.dbCPU[pid], s.dbName[pid] = c, name
				}
			}
		}
	}
	s.gen = b.pool.cpu()
	wg.Wait()
	return s
}

// figures turns two samples into the window's server figures; deliveries (0: not applicable) gives the
// per-delivery costs.
func figures(t *target, a, z sample, deliveries uint64) ServerFigures {
	win := z.at.Sub(a.at)
	f := ServerFigures{WindowS: win.Seconds(), ByProcess: map[string]float64{}, Drops: map[string]float64{},
		SlowCloses: map[string]float64{}, Closes: map[string]float64{}}
	pct := func(d time.Duration) float64 {
		if win <= 0 {
			return 0
		}
		return 100 * d.Seconds() / win.Seconds()
	}
	var serverCPU time.Duration
	for _, p := range t.servers {
		d := z.cpu[p.Name] - a.cpu[p.Name]
		serverCPU += d
		f.ByProcess[p.Name] = pct(d)
		f.RSSBytes += z.rss[p.Name]
		before, after := a.metrics[p.Name], z.metrics[p.Name]
		if after != nil {
			f.Goroutines += int64(after.Value("go_goroutines"))
			for s, v := range probe.Increase(before, after, probe.IsDrop) {
				f.Drops[p.Name+" "+s] = v
				f.DropsTotal += v
			}
			for s, v := range probe.Increase(before, after, probe.IsSlowClose) {
				f.SlowCloses[p.Name+" "+s] = v
				f.SlowClosesTotal += v
			}
			for s, v := range probe.Increase(before, after, probe.IsClose) {
				f.Closes[probe.Reason(s)] += v
			}
		}
	}
	for _, p := range t.extras {
		f.ByProcess[p.Name] = pct(z.cpu[p.Name] - a.cpu[p.Name])
	}
	// Databases: a process born during the window counts from zero, one that died is left out.
	dbs := map[string]time.Duration{}
	for pid, c := range z.dbCPU {
		dbs[z.dbName[pid]] += c - a.dbCPU[pid]
	}
	for name, d := range dbs {
		f.ByProcess[name] = pct(d)
	}
	f.CPUSeconds, f.CPUPct = serverCPU.Seconds(), pct(serverCPU)
	gen := z.gen - a.gen
	f.GenCPUPct = pct(gen)
	if deliveries > 0 {
		f.CPUUsPerDelivery = serverCPU.Seconds() * 1e6 / float64(deliveries)
		f.GenUsPerDelivery = gen.Seconds() * 1e6 / float64(deliveries)
	}
	f.ScrapeErrors = append(append([]string(nil), a.errs...), z.errs...)
	return f
}

// serverCPU is the CPU time used so far by the target's processes (servers and extras), read from /proc only.
func serverCPU(t *target) time.Duration {
	var total time.Duration
	for _, p := range append(append([]proc(nil), t.servers...), t.extras...) {
		c, _ := probe.CPU(p.PID)
		total += c
	}
	return total
}

// quiesce waits, up to bound, until the target's processes are nearly idle (under 10% of a core each), so that
// a scenario does not start on the backlog the previous one left (a saturated server keeps working after
// its clients have gone). It returns how long it waited.
func (b *bench) quiesce(ctx context.Context, t *target, bound time.Duration) time.Duration {
	start := time.Now()
	limit := 0.10 * float64(len(t.servers)+len(t.extras))
	prev, prevAt := serverCPU(t), time.Now()
	for time.Since(start) < bound && ctx.Err() == nil {
		sleepCtx(ctx, 250*time.Millisecond) // 25 clock ticks of CPU time per core: fine enough for 10%
		cpu, at := serverCPU(t), time.Now()
		busy := (cpu - prev).Seconds() / at.Sub(prevAt).Seconds()
		if busy < limit {
			break
		}
		prev, prevAt = cpu, at
	}
	return time.Since(start)
}

// settle is the pause between connecting sockets and sending to them: a socket joins its rooms (and a
// cluster's gateway subscribes to their topics) just after its CONNECT ack, and thousands of connections
// leave the server work (presence, subscriptions) that must not be charged to the first step; so do the
// sockets of the previous scenario, whose users go offline a presence grace after they closed.
func (b *bench) settle(ctx context.Context, t *target) {
	sleepCtx(ctx, b.cfg.sizes.MinSettle)
	if !t.raw { // the baseline has no presence
		sleepCtx(ctx, time.Until(time.Unix(0, b.quietAt.Load()))) // the previous scenario's users going offline
	}
	b.quiesce(ctx, t, b.cfg.sizes.QuiesceMax)
}
