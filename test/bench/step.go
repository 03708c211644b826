package main

import (
	"context"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// rateSpec is one measured step: senders on the workers send at a total rate for a while; every worker's
// sockets count what they receive.
type rateSpec struct {
	label   string
	rate    float64                         // messages per second, all senders together
	senders [][]loadgen.Sender              // by worker
	random  bool                            // a random sender per message (else round robin)
	raw     bool                            // the baseline: no acks
	fan     float64                         // recipients per message, for the offered deliveries
	dur     time.Duration                   // how long to send (0: the step duration)
	grace   time.Duration                   // deliveries that late still count (0: the configured grace)
	during  func(ctx context.Context) error // runs while the step sends (the storm)
	tail    time.Duration                   // after during returns, send this long more, then stop
	// expected gives the deliveries due from the acked counts per sender (by worker, then sender).
	expected func(perSender [][]int) uint64
}

// startLead is how far ahead of time a step is scheduled, so that every worker starts sending together.
const startLead = 150 * time.Millisecond

// collectMargin is how long after a step's deadline the counters are read: an increment decided before the
// deadline has long landed by then.
const collectMargin = 200 * time.Millisecond

// step runs one rate step and measures it.
func (b *bench) step(ctx context.Context, t *target, sp rateSpec) (*StepResult, error) {
	sz := b.cfg.sizes
	dur, grace := sp.dur, sp.grace
	if dur == 0 {
		dur = sz.Step
	}
	if grace == 0 {
		grace = sz.Grace
	}
	tag := b.tags.Add(1)
	start := time.Now().Add(startLead)
	until := start.Add(dur + grace)
	actx, cancel := context.WithTimeout(ctx, dur+grace+time.Minute)
	defer cancel()
	armed := make([]loadgen.Totals, len(b.pool.ws))
	if err := b.pool.each(actx, loadgen.OpArm, func(int) any { return loadgen.ArmArgs{Tag: tag, UntilNs: until.UnixNano()} },
		func(w int) any { return &armed[w] }); err != nil {
		return nil, err
	}
	total := 0
	for _, s := range sp.senders {
		total += len(s)
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: no sender is connected", sp.label)
	}
	sending := 0 // workers with senders, for their phases
	for _, s := range sp.senders {
		if len(s) > 0 {
			sending++
		}
	}
	phase := make([]float64, len(sp.senders))
	for w, k := 0, 0; w < len(sp.senders); w++ {
		if len(sp.senders[w]) > 0 {
			phase[w] = float64(k) / float64(sending)
			k++
		}
	}
	if err := b.pool.each(actx, loadgen.OpSend, func(w int) any {
		if len(sp.senders[w]) == 0 {
			return nil
		}
		return loadgen.SendArgs{Tag: tag, Senders: sp.senders[w], Rate: sp.rate * float64(len(sp.senders[w])) / float64(total),
			StartNs: start.UnixNano(), DurationMs: int(dur.Milliseconds()), BodySize: sz.BodyBytes,
			AckTimeoutMs: int(sz.AckTimeout.Milliseconds()), Random: sp.random, Raw: sp.raw, Phase: phase[w]}
	}, nil); err != nil {
		return nil, err
	}
	sleepCtx(ctx, time.Until(start))
	s0 := b.take(ctx, t)
	end := start.Add(dur)
	var err error
	var duringErr chan error // still to be read when the step outlived its planned end
	if sp.during != nil {
		duringErr = make(chan error, 1)
		go func() { duringErr <- sp.during(ctx) }() // bounded by its own deadlines
		timer := time.NewTimer(time.Until(until))
		select {
		case err = <-duringErr:
			duringErr = nil
			// Once the disturbance is over, the step only needs its tail: stop sending then, not at the
			// planned end (which had to allow for the disturbance taking all its time).
			if newEnd := time.Now().Add(sp.tail); sp.tail > 0 && newEnd.Before(end) {
				end, until = newEnd, newEnd.Add(grace)
				_ = b.pool.each(actx, loadgen.OpReschedule, func(int) any {
					return loadgen.RescheduleArgs{Tag: tag, EndNs: end.UnixNano(), UntilNs: until.UnixNano()}
				}, nil)
			}
		case <-timer.C:
		}
		timer.Stop()
	}
	sleepCtx(ctx, time.Until(until))
	s1 := b.take(ctx, t)
	if duringErr != nil {
		err = <-duringErr
	}
	sleepCtx(ctx, collectMargin)
	cols := make([]loadgen.CollectResult, len(b.pool.ws))
	wait := sz.AckTimeout + 2*time.Second
	cctx, ccancel := context.WithTimeout(ctx, wait+10*time.Second)
	defer ccancel()
	if cerr := b.pool.each(cctx, loadgen.OpCollect, func(int) any {
		return loadgen.CollectArgs{Tag: tag, TimeoutMs: int(wait.Milliseconds())}
	}, func(w int) any { return &cols[w] }); cerr != nil {
		return nil, cerr
	}
	r := assemble(sp, end.Sub(start), armed, cols)
	r.Server = figures(t, s0, s1, r.Live)
	return r, err
}

// assemble merges the workers' shares of a step.
func assemble(sp rateSpec, dur time.Duration, armed []loadgen.Totals, cols []loadgen.CollectResult) *StepResult {
	r := &StepResult{OfferedMsgs: sp.rate, OfferedDeliveries: sp.rate * sp.fan}
	var lat, ack hist.H
	perSender := make([][]int, len(cols))
	for w, c := range cols {
		d := c.Deliveries
		r.Live += d.Live
		r.Late += d.Late
		r.Dups += d.Dups
		r.Gaps += d.Gaps
		r.FrameBytes = max(r.FrameBytes, d.FrameLen)
		lat.Merge(&d.Latency)
		r.LateAcks += c.Totals.LateAcks - armed[w].LateAcks
		r.ServerClosed += c.Totals.ServerClosed - armed[w].ServerClosed
		if s := c.Send; s != nil {
			r.Sent += s.Sent
			r.Acked += s.OK
			r.Accepted += s.Accepted
			r.AckErrors += s.Errors
			r.AckTimeouts += s.Timeouts
			r.WriteErrors += s.WriteErrors
			for k, v := range s.Codes {
				if r.AckCodes == nil {
					r.AckCodes = map[string]int{}
				}
				r.AckCodes[k] += v
			}
			ack.Merge(&s.AckLatency)
			perSender[w] = s.PerSender
			r.SendLagMaxMs = max(r.SendLagMaxMs, ms(s.LagMaxNs))
		}
	}
	r.Expected = sp.expected(perSender)
	secs := dur.Seconds()
	r.AckedPerS = float64(r.Acked) / secs
	r.DeliveriesPerS = float64(r.Live) / secs
	if r.Expected > 0 {
		r.DeliveredPct = 100 * float64(r.Live) / float64(r.Expected)
	}
	r.AckP50Ms, r.AckP99Ms = ms(ack.Quantile(0.5)), ms(ack.Quantile(0.99))
	r.P50Ms, r.P99Ms, r.P999Ms = ms(lat.Quantile(0.5)), ms(lat.Quantile(0.99)), ms(lat.Quantile(0.999))
	r.MaxMs = ms(lat.Max())
	return r
}

// sweep runs a rate scenario: the listed rates upward, then ×1.5 steps while everything still arrives, until
// the target saturates (delivers under the minimum, or its p99 passes the maximum).
func (b *bench) sweep(ctx context.Context, t *target, scenario string, rates []float64, mk func(rate float64) rateSpec) ([]*StepResult, saturation, error) {
	sz := b.cfg.sizes
	var steps []*StepResult
	var sat saturation
	rate := 0.0
	for i := 0; ; i++ {
		switch {
		case i < len(rates):
			rate = rates[i]
		case i < len(rates)+sz.ExtraSteps && len(steps) > 0 && steps[len(steps)-1].full():
			rate *= 1.5
		default:
			if sat.Stopped == "" {
				sat.Stopped = "not saturated within the offered rates"
			}
			return steps, sat, nil
		}
		if ctx.Err() != nil {
			return steps, sat, ctx.Err()
		}
		sp := mk(rate)
		b.prog.set(t.name, scenario, fmt.Sprintf("step %d", i+1), rate, sp.fan)
		r, err := b.step(ctx, t, sp)
		if err != nil {
			return steps, sat, err
		}
		steps = append(steps, r)
		sat.MaxDeliveriesPerS = max(sat.MaxDeliveriesPerS, r.DeliveriesPerS)
		if r.full() {
			sat.SaturationMsgs, sat.SaturationDeliveries = rate, r.DeliveriesPerS
		}
		switch {
		case r.Expected == 0:
			sat.Stopped = fmt.Sprintf("nothing acked at %.0f msg/s", rate)
		case !r.keptUp():
			sat.Stopped = fmt.Sprintf("acked %.0f of %.0f msg/s", r.AckedPerS, rate)
		case r.DeliveredPct < 100*sz.MinDelivered:
			sat.Stopped = fmt.Sprintf("delivered %.1f%% at %.0f msg/s", r.DeliveredPct, rate)
		case r.P99Ms > ms(sz.MaxLatency.Nanoseconds()):
			sat.Stopped = fmt.Sprintf("p99 %.0f ms at %.0f msg/s", r.P99Ms, rate)
		}
		if sat.Stopped != "" {
			return steps, sat, nil
		}
	}
}

// warmup sends one unmeasured message per sender (one sender per conversation), so that the first message
// of each conversation — which finds the server's caches and the socket paths cold — is not part of the
// first measured step. Its result is returned for the record, not reported as a step.
func (b *bench) warmup(ctx context.Context, t *target, label string, senders [][]loadgen.Sender) (*StepResult, error) {
	n := countSenders(senders)
	if n == 0 {
		return nil, nil
	}
	// Spread over half a second (a step, if shorter): the first steps' rates are of that order. Unmeasured, it
	// needs only a short grace.
	dur := min(b.cfg.sizes.Step, 500*time.Millisecond)
	rate := float64(n) / dur.Seconds()
	b.prog.set(t.name, label, "warm-up", rate, 0)
	return b.step(ctx, t, rateSpec{label: label + " warm-up", rate: rate, senders: senders, raw: t.raw,
		dur: dur, grace: min(b.cfg.sizes.Grace, 200*time.Millisecond), expected: func([][]int) uint64 { return 0 }})
}

// countSenders counts the senders of all workers.
func countSenders(s [][]loadgen.Sender) int {
	n := 0
	for _, w := range s {
		n += len(w)
	}
	return n
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
