package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// progress prints one line a second on stderr: where the run is, what is offered, what arrives.
type progress struct {
	pool  *pool
	start time.Time

	mu       sync.Mutex
	target   string
	scenario string
	step     string
	offered  float64 // messages per second being offered (0: none)
	fan      float64 // recipients per message
	muted    bool    // a scenario prints progress of its own (the soak's series)
}

func newProgress(p *pool) *progress { return &progress{pool: p, start: time.Now()} }

// set says what the run is doing now.
func (p *progress) set(target, scenario, step string, offeredMsgs, fan float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target, p.scenario, p.step, p.offered, p.fan = target, scenario, step, offeredMsgs, fan
}

// mute stops (true) or resumes (false) the progress lines.
func (p *progress) mute(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.muted = on
}

// run prints until ctx ends.
func (p *progress) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastAt, lastCPU := p.pool.stats(), time.Now(), p.pool.cpu()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, now, cpu := p.pool.stats(), time.Now(), p.pool.cpu()
		dt := now.Sub(lastAt).Seconds()
		rate := float64(st.Deliveries-last.Deliveries) / dt
		gen := 100 * (cpu - lastCPU).Seconds() / dt
		last, lastAt, lastCPU = st, now, cpu
		p.mu.Lock()
		if p.muted {
			p.mu.Unlock()
			continue
		}
		where := p.target + " " + p.scenario
		if p.step != "" {
			where += " " + p.step
		}
		offered := ""
		if p.offered > 0 {
			offered = fmt.Sprintf(" | offered %.0f msg/s (%.0f deliveries/s)", p.offered, p.offered*p.fan)
		}
		p.mu.Unlock()
		fmt.Fprintf(os.Stderr, "bench %s %s%s | deliveries/s %.0f | sockets %d | generator cpu %.0f%%\n",
			clock(now.Sub(p.start)), where, offered, rate, st.Connected, gen)
	}
}

// clock formats an elapsed time as m:ss.
func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
