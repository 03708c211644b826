package main

import (
	"fmt"
	"sort"
	"strings"
)

// The sections of results.md, one per scenario: a summary table per target with its ratios, then the steps.

// stepRows renders the steps of a rate scenario.
func stepRows(target string, steps []*StepResult) [][]string {
	var rows [][]string
	for _, s := range steps {
		ack := "—"
		if target != "baseline" {
			ack = num(s.AckP50Ms, 1) + " / " + num(s.AckP99Ms, 1)
		}
		byProc := ""
		if len(s.Server.ByProcess) > 1 {
			byProc = procCPU(s.Server.ByProcess)
		}
		notes := []string{}
		if s.AckTimeouts > 0 {
			notes = append(notes, fmt.Sprintf("%d ack timeouts", s.AckTimeouts))
		}
		if s.AckErrors > 0 {
			notes = append(notes, fmt.Sprintf("%d refused %v", s.AckErrors, codes(s.AckCodes)))
		}
		if s.WriteErrors > 0 {
			notes = append(notes, fmt.Sprintf("%d unsendable", s.WriteErrors))
		}
		if s.Dups > 0 || s.Gaps > 0 {
			notes = append(notes, fmt.Sprintf("%d dup, %d seq gaps", s.Dups, s.Gaps))
		}
		if s.ServerClosed > 0 {
			notes = append(notes, fmt.Sprintf("%d sockets closed by server%s", s.ServerClosed, closeReasons(s.Server.Closes)))
		}
		if len(s.Server.ScrapeErrors) > 0 {
			notes = append(notes, fmt.Sprintf("%d /metrics scrapes failed", len(s.Server.ScrapeErrors)))
		}
		rows = append(rows, []string{target, num(s.OfferedMsgs, 0), num(s.OfferedDeliveries, 0), num(s.AckedPerS, 0), ack,
			num(s.DeliveriesPerS, 0), num(s.DeliveredPct, 2),
			num(s.P50Ms, 1) + " / " + num(s.P99Ms, 1) + " / " + num(s.P999Ms, 1),
			num(s.Server.CPUUsPerDelivery, 2), num(s.Server.CPUPct, 0), byProc, num(s.Server.GenCPUPct, 0),
			mib(float64(s.Server.RSSBytes)), num(s.Server.DropsTotal, 0), num(s.Server.SlowClosesTotal, 0),
			strings.Join(notes, "; ")})
	}
	return rows
}

var stepHead = []string{"target", "offered msg/s", "offered deliveries/s", "acked msg/s", "ack p50 / p99 ms",
	"deliveries/s", "delivered %", "p50 / p99 / p999 ms", "server µs/delivery", "server CPU %", "CPU % by process",
	"generator CPU %", "server RSS MiB", "drops", "slow closes", "notes"}

func codes(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k, v := range c {
		keys = append(keys, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// satStep is the step at the saturation rate (nil when none was fully delivered).
func satStep(steps []*StepResult, sat saturation) *StepResult {
	for _, s := range steps {
		if s.OfferedMsgs == sat.SaturationMsgs && s.full() {
			return s
		}
	}
	return nil
}

func fanoutSection(m *md, r *Results) {
	sizes := map[int]bool{}
	var order []int
	for _, t := range r.Targets {
		for _, f := range t.Fanout {
			if !sizes[f.Members] {
				sizes[f.Members] = true
				order = append(order, f.Members)
			}
		}
	}
	for _, n := range order {
		m.p("## Fan-out: one channel of %s connected members", num(float64(n), 0))
		m.p("")
		m.p("%d members send `message:send` (acked) at a total offered rate, stepped up until saturation "+
			"(delivered < %.0f%% or p99 > %s). Saturation is the highest rate with every delivery in (live, within "+
			"the step and its %s grace); each step sends for %s%s.",
			r.Sizes.FanoutSenders, 100*r.Sizes.MinDelivered,
			r.Sizes.MaxLatency, r.Sizes.Grace, r.Sizes.Step, warmedUp(r, func(t *TargetResult) *StepResult {
				if f := fanoutOf(t, n); f != nil {
					return f.Warmup
				}
				return nil
			}, ", after one unmeasured warm-up message per sender"))
		m.p("")
		var base *FanoutResult
		if bt := r.find("baseline"); bt != nil {
			base = fanoutOf(bt, n)
		}
		var sum, steps [][]string
		for _, t := range r.Targets {
			f := fanoutOf(t, n)
			if f == nil {
				continue
			}
			ss := satStep(f.Steps, f.saturation)
			p99, us := "—", "—"
			var usv float64
			if ss != nil {
				p99, us, usv = num(ss.P99Ms, 1), num(ss.Server.CPUUsPerDelivery, 2), ss.Server.CPUUsPerDelivery
			}
			vsMax, vsUs := "—", "—"
			if base != nil && t.Name != "baseline" {
				vsMax = ratio(f.MaxDeliveriesPerS, base.MaxDeliveriesPerS)
				if bs := satStep(base.Steps, base.saturation); bs != nil {
					vsUs = ratio(usv, bs.Server.CPUUsPerDelivery)
				}
			}
			conn := fmt.Sprintf("%d/%d", f.Connect.Connected, f.Connect.Requested)
			sum = append(sum, []string{t.Name, conn, num(f.SaturationMsgs, 0), num(f.SaturationDeliveries, 0),
				num(f.MaxDeliveriesPerS, 0), p99, us, vsMax, vsUs, f.Stopped})
			steps = append(steps, stepRows(t.Name, f.Steps)...)
		}
		m.table([]string{"target", "connected", "saturation msg/s", "deliveries/s there", "max deliveries/s",
			"p99 ms there", "server µs/delivery there", "max deliveries/s vs baseline", "µs/delivery vs baseline",
			"stepping stopped"}, sum)
		m.table(stepHead, steps)
		warmups(m, r, func(t *TargetResult) *StepResult {
			if f := fanoutOf(t, n); f != nil {
				return f.Warmup
			}
			return nil
		})
	}
}

// warmedUp returns text when some target of the run had a warm-up (results of older runs have none).
func warmedUp(r *Results, of func(*TargetResult) *StepResult, text string) string {
	for _, t := range r.Targets {
		if of(t) != nil {
			return text
		}
	}
	return ""
}

// warmups reports the unmeasured warm-up messages: the first message of each conversation after its
// sockets connected, which finds everything cold.
func warmups(m *md, r *Results, of func(*TargetResult) *StepResult) {
	var parts []string
	for _, t := range r.Targets {
		if w := of(t); w != nil && w.Sent > 0 {
			parts = append(parts, fmt.Sprintf("%s %d sent, %d acked, ack p50/p99 %s/%s ms, delivery p50/p99 %s/%s ms",
				t.Name, w.Sent, w.Acked, num(w.AckP50Ms, 1), num(w.AckP99Ms, 1), num(w.P50Ms, 1), num(w.P99Ms, 1)))
		}
	}
	if len(parts) > 0 {
		m.p("Warm-up (first message per sender or conversation, not in the steps): %s.", strings.Join(parts, "; "))
		m.p("")
	}
}

func fanoutOf(t *TargetResult, n int) *FanoutResult {
	for _, f := range t.Fanout {
		if f.Members == n {
			return f
		}
	}
	return nil
}

func idleSection(m *md, r *Results) {
	var rows, proj [][]string
	var base *IdleResult
	if bt := r.find("baseline"); bt != nil {
		base = bt.Idle
	}
	for _, t := range r.Targets {
		d := t.Idle
		if d == nil || len(d.Points) == 0 {
			continue
		}
		for _, p := range d.Points {
			fail := ""
			if p.Failed.Total() > 0 {
				fail = fmt.Sprintf("%d failed (dial %d, handshake %d, connect_error %d %v, timeout %d): %s",
					p.Failed.Total(), p.Failed.Dial, p.Failed.Handshake, p.Failed.ConnectError, codes(p.Failed.Codes),
					p.Failed.Timeout, p.Failed.First)
			}
			rows = append(rows, []string{t.Name, d.Process, num(float64(p.Sockets), 0), num(p.ConnectsPerS, 0),
				num(p.ConnectP99Ms, 1), mib(float64(p.RSSBytes)), kib(p.RSSPerSocket), kib(p.SlopeRSSPerSocket),
				num(float64(p.Goroutines), 0), num(p.GoroutinesPerSockEmpty, 2), num(p.GoroutinesPerSock, 2),
				num(p.IdleCPUPct, 1), fail})
		}
		last := d.Points[len(d.Points)-1]
		vs := "—"
		if base != nil && len(base.Points) > 0 && t.Name != "baseline" {
			vs = ratio(last.SlopeRSSPerSocket, base.Points[len(base.Points)-1].SlopeRSSPerSocket)
		}
		proj = append(proj, []string{t.Name, mib(float64(d.EmptyRSSBytes)), kib(last.SlopeRSSPerSocket),
			num(d.Projected100kBytes/(1<<30), 2), num(d.Projected1MBytes/(1<<30), 1), vs})
	}
	if len(rows) == 0 {
		return
	}
	m.p("## Idle sockets")
	m.p("")
	m.p("Sockets connect in batches to one server process (a cluster's gateway-1), then sit idle for %s before "+
		"the process is read (no GC forced). Per-socket figures come from the empty process and from the slope "+
		"between batches; connects/s is a batch's sockets over its wall time (connect = CONNECT ack).", r.Sizes.Settle)
	m.p("")
	m.table([]string{"target", "process", "sockets", "connects/s", "connect p99 ms", "RSS MiB", "KiB/socket from empty",
		"KiB/socket slope", "goroutines", "goroutines/socket from empty", "goroutines/socket slope", "idle CPU %",
		"failures"}, rows)
	m.table([]string{"target", "empty RSS MiB", "KiB/socket (last slope)", "GiB for 100k sockets", "GiB for 1M sockets",
		"KiB/socket vs baseline"}, proj)
}

func stormSection(m *md, r *Results) {
	var rows [][]string
	var ref *StormResult
	if st := r.find("standalone"); st != nil {
		ref = st.Storm
	}
	for _, t := range r.Targets {
		s := t.Storm
		if s == nil {
			continue
		}
		probe, probeDel := "—", "—"
		if s.Probe != nil {
			probe = num(s.Probe.P50Ms, 1) + " / " + num(s.Probe.P99Ms, 1) + " / " + num(s.Probe.MaxMs, 1)
			probeDel = num(s.Probe.DeliveredPct, 1) + "%"
		}
		vs := "—"
		if ref != nil && t.Name != "standalone" {
			vs = ratio(s.ReconnectsPerS, ref.ReconnectsPerS)
		}
		f := s.Failed
		rows = append(rows, []string{t.Name, fmt.Sprintf("%d/%d", s.Resumed, s.Sockets),
			fmt.Sprintf("%d / %d / %d / %d", f.Dial, f.Handshake, f.ConnectError, f.Timeout),
			fmt.Sprintf("%d / %d", s.SyncErrors, s.SyncTimeouts), num(s.DurationS, 2), num(s.ReconnectsPerS, 0),
			num(s.ConnectP99Ms, 0), num(s.SyncP99Ms, 0), probe, probeDel, num(s.Server.CPUPct, 0), vs})
	}
	if len(rows) == 0 {
		return
	}
	m.p("## Reconnection storm")
	m.p("")
	m.p("%s connected sockets (%d per user; users in groups of %d) are dropped at once (TCP closed) and reconnect, %d "+
		"handshakes in flight per generator process, each then sending `sync` with its group's last seq and "+
		"waiting for the ack; all must be done within %s. Meanwhile two other users in a direct conversation, "+
		"on different origins, exchange %.0f msg/s (probe latency: both sockets' deliveries).",
		num(float64(r.Sizes.Storm), 0), max(r.Sizes.StormPerUser, 1), r.Sizes.GroupSize, stormConcurrency, r.Sizes.StormDeadline, r.Sizes.ProbeRate)
	m.p("")
	m.table([]string{"target", "resumed", "connect failures dial / handshake / connect_error / timeout",
		"sync errors / timeouts", "storm s", "reconnects/s", "connect p99 ms", "sync ack p99 ms",
		"probe p50 / p99 / max ms", "probe delivered", "server CPU %", "reconnects/s vs standalone"}, rows)
}

func chatmixSection(m *md, r *Results) {
	var sum, steps [][]string
	var ref *ChatmixResult
	if st := r.find("standalone"); st != nil {
		ref = st.Chatmix
	}
	for _, t := range r.Targets {
		c := t.Chatmix
		if c == nil {
			continue
		}
		ss := satStep(c.Steps, c.saturation)
		p50, p99, us, byProc := "—", "—", "—", ""
		if ss != nil {
			p50, p99, us = num(ss.P50Ms, 1), num(ss.P99Ms, 1), num(ss.Server.CPUUsPerDelivery, 2)
			byProc = procCPU(ss.Server.ByProcess)
		}
		vs := "—"
		if ref != nil && t.Name != "standalone" {
			vs = ratio(c.SaturationMsgs, ref.SaturationMsgs)
		}
		sum = append(sum, []string{t.Name, fmt.Sprintf("%d/%d", c.Connect.Connected, c.Connect.Requested),
			num(c.SaturationMsgs, 0), p50 + " / " + p99, us, byProc, vs, c.Stopped})
		steps = append(steps, stepRows(t.Name, c.Steps)...)
	}
	if len(sum) == 0 {
		return
	}
	m.p("## Chat mix")
	m.p("")
	m.p("%s users in groups of %d, all connected; each message comes from a random user to its group (acked), "+
		"at stepped total rates%s. Per-process CPU is at the saturation step.", num(float64(r.Sizes.ChatUsers), 0),
		r.Sizes.GroupSize, warmedUp(r, func(t *TargetResult) *StepResult {
			if t.Chatmix != nil {
				return t.Chatmix.Warmup
			}
			return nil
		}, ", after one unmeasured warm-up message per group"))
	m.p("")
	m.table([]string{"target", "connected", "saturation msg/s", "p50 / p99 ms there", "server µs/delivery there",
		"CPU % by process there", "saturation vs standalone", "stepping stopped"}, sum)
	m.table(stepHead, steps)
	warmups(m, r, func(t *TargetResult) *StepResult {
		if t.Chatmix != nil {
			return t.Chatmix.Warmup
		}
		return nil
	})
}

// procCPU lists per-process CPU % in a stable order.
func procCPU(by map[string]float64) string {
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, by[k]))
	}
	return strings.Join(parts, ", ")
}

func persistSection(m *md, r *Results) {
	var rows [][]string
	var ref *PersistResult
	if st := r.find("standalone"); st != nil {
		ref = st.Persist
	}
	for _, t := range r.Targets {
		p := t.Persist
		if p == nil {
			continue
		}
		vs := "—"
		if ref != nil && t.Name != "standalone" {
			vs = ratio(p.PerS, ref.PerS)
		}
		errs := num(float64(p.Errors), 0)
		if p.FirstErr != "" {
			errs += " (" + p.FirstErr + ")"
		}
		rows = append(rows, []string{t.Name, num(float64(p.Senders), 0), num(p.PerS, 0),
			fmt.Sprintf("%d / %d", p.Sequenced, p.Accepted), num(p.P50Ms, 1), num(p.P99Ms, 1), errs,
			num(p.Server.CPUUsPerDelivery, 0), procCPU(p.Server.ByProcess),
			fmt.Sprintf("%s / %s / %s", num(float64(p.Batches), 0), num(p.BatchSize, 1), num(p.BatchMeanMs, 2)), vs})
	}
	if len(rows) == 0 {
		return
	}
	m.p("## Persisted messages over REST")
	m.p("")
	m.p("Each sender (its own user and group) POSTs messages back to back for %s; 201 is stored with its seq, "+
		"202 is durable in the log with the seq pending. Latency is of the 201s; the sequencer's batches "+
		"(from its metrics) are the stage behind it: one database transaction and one fan-out publish each.", r.Sizes.PersistDuration)
	m.p("")
	m.table([]string{"target", "senders", "persisted msg/s", "201 / 202", "p50 ms", "p99 ms", "errors",
		"server CPU µs/message", "CPU % by process", "sequencer batches / mean size / mean ms", "vs standalone"}, rows)
}

// closeReasons lists the servers' own count of closed sockets by reason, as " (reason n, ...)".
func closeReasons(by map[string]float64) string {
	if len(by) == 0 {
		return ""
	}
	reasons := make([]string, 0, len(by))
	for r := range by {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %.0f", r, by[r])
	}
	return " (server's count: " + strings.Join(parts, ", ") + ")"
}
