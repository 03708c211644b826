package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalechat/scalechat/test/bench/loadgen"
	"github.com/scalechat/scalechat/test/bench/probe"
)

// The soak: steady moderate load on the cluster for a long time (10 minutes by default), with socket churn and
// REST reads, faults off, and the servers' resources sampled every round. It looks for leaks, not speed: a
// resource is flat when the mean of the last third of its samples is within a tolerance of the middle
// third's. Outside the smoke configuration a growing resource, an acked message not delivered to every
// connected member, a lost ack or a seq gap fails the run. No throughput or latency is asserted.
//
// A round is a rate step (every connected socket may send, a random one each time, to its conversation; the
// acks and the live deliveries are counted), then a sample, then churn: one of SoakChurnGroups shares of the
// sockets has its connections closed (TCP, as a network blip does) and reconnects, each socket calling sync
// from a few events back. Churn happens between steps, so that every step knows exactly which sockets are
// connected, and so how many deliveries each acked message owes.

const (
	soakLabel = "soak"
	// soakSyncBack is how far behind its conversation's last seq a resumed socket's sync cursor is: sync has
	// a few events to return.
	soakSyncBack = 10
	// soakResumeDeadline bounds one churn's reconnections.
	soakResumeDeadline = 15 * time.Second
	// soakTolerance is the growth allowed from the middle third to the last, besides each resource's slack.
	soakTolerance = 0.10
	// clusterDB is test/cluster/run.sh's database: only the cluster's servers connect to it.
	clusterDB = "scalechat_cluster"
	// maxSoakErrors bounds the error messages kept.
	maxSoakErrors = 10
)

// soakGroup names churn group k (a load-generator group).
func soakGroup(k int) string { return fmt.Sprintf("%s-%d", soakLabel, k) }

// SoakResult is the soak: the sampled series and whether each resource stayed flat.
type SoakResult struct {
	Users         int           `json:"users"` // one socket each
	Conversations int           `json:"conversations"`
	GroupSize     int           `json:"groupSize"`
	ChurnGroups   int           `json:"churnGroups"` // one of them reconnects each round
	Rate          float64       `json:"rate"`        // offered msg/s while a round sends
	RESTRate      float64       `json:"restRate"`
	DurationS     float64       `json:"durationS"` // as run, from the first sample to the last
	IntervalS     float64       `json:"intervalS"`
	Processes     []string      `json:"processes"`
	PGDatabase    string        `json:"pgDatabase"`
	Connect       *connected    `json:"connect"`
	Warmup        *StepResult   `json:"warmup,omitempty"`
	Samples       []SoakSample  `json:"samples"` // the first is before the load
	Totals        SoakCounts    `json:"totals"`
	Verdicts      []SoakVerdict `json:"verdicts"`
	// Checked is false in the smoke configuration: the verdicts are reported, not enforced.
	Checked  bool     `json:"checked"`
	Problems []string `json:"problems,omitempty"` // growth and losses (they fail a checked soak)
	Errors   []string `json:"errors,omitempty"`   // the first error messages seen
}

// SoakCounts are a round's figures (a sample's) or the whole soak's.
type SoakCounts struct {
	Sent         int    `json:"sent"`
	Acked        int    `json:"acked"`
	AckErrors    int    `json:"ackErrors"`   // refused ({ok:false})
	AckTimeouts  int    `json:"ackTimeouts"` // no ack within the ack timeout: lost
	WriteErrors  int    `json:"writeErrors"`
	Expected     uint64 `json:"expected"` // acked messages × their conversation's connected sockets
	Live         uint64 `json:"live"`     // delivered within the round
	Late         uint64 `json:"late"`     // delivered after it (or stragglers of an earlier round)
	Missing      uint64 `json:"missing"`  // expected − live − late, when positive
	Dups         uint64 `json:"dups"`
	Gaps         uint64 `json:"gaps"` // seqs skipped on a connection: events that never came
	ServerClosed uint64 `json:"serverClosed"`
	Churned      int    `json:"churned"` // sockets closed and reconnected
	Resumed      int    `json:"resumed"` // of which reconnected and synced
	ResumeFailed int    `json:"resumeFailed"`
	SyncErrors   int    `json:"syncErrors"`
	SyncTimeouts int    `json:"syncTimeouts"`
	RESTReads    int    `json:"restReads"`
	RESTErrors   int    `json:"restErrors"`
	ProbeErrors  int    `json:"probeErrors"` // /metrics scrapes, /proc, Redis and PostgreSQL queries that failed
}

func (c *SoakCounts) add(o SoakCounts) {
	c.Sent += o.Sent
	c.Acked += o.Acked
	c.AckErrors += o.AckErrors
	c.AckTimeouts += o.AckTimeouts
	c.WriteErrors += o.WriteErrors
	c.Expected += o.Expected
	c.Live += o.Live
	c.Late += o.Late
	c.Missing += o.Missing
	c.Dups += o.Dups
	c.Gaps += o.Gaps
	c.ServerClosed += o.ServerClosed
	c.Churned += o.Churned
	c.Resumed += o.Resumed
	c.ResumeFailed += o.ResumeFailed
	c.SyncErrors += o.SyncErrors
	c.SyncTimeouts += o.SyncTimeouts
	c.RESTReads += o.RESTReads
	c.RESTErrors += o.RESTErrors
	c.ProbeErrors += o.ProbeErrors
}

// errorCount is every kind of error together (the series' "errors" column).
func (c SoakCounts) errorCount() int {
	return c.AckErrors + c.WriteErrors + int(c.ServerClosed) + c.ResumeFailed + c.SyncErrors + c.SyncTimeouts +
		c.RESTErrors + c.ProbeErrors
}

// fromStep takes a step's message figures.
func (c *SoakCounts) fromStep(s *StepResult) {
	c.Sent, c.Acked, c.AckErrors, c.AckTimeouts, c.WriteErrors = s.Sent, s.Acked, s.AckErrors, s.AckTimeouts, s.WriteErrors
	c.Expected, c.Live, c.Late, c.Dups, c.Gaps, c.ServerClosed = s.Expected, s.Live, s.Late, s.Dups, s.Gaps, s.ServerClosed
	if got := s.Live + s.Late; got < s.Expected {
		c.Missing = s.Expected - got
	}
}

// SoakSample is the servers' resources at the end of a round, and the round's counts.
type SoakSample struct {
	T          float64          `json:"t"` // seconds since the load started (0: before it)
	RSS        map[string]int64 `json:"rssBytes"`
	Goroutines map[string]int64 `json:"goroutines"`
	FDs        map[string]int   `json:"openFds"`
	RedisConns map[string]int   `json:"redisConns"` // each server's established TCP connections to Redis
	PGConns    map[string]int   `json:"pgConns"`    // and to PostgreSQL
	// RedisClients is INFO clients' connected_clients: the whole Redis server, anyone's clients (-1: unknown).
	RedisClients int `json:"redisClients"`
	// PGConnections counts pg_stat_activity's client backends on the cluster's database; PGAll on every
	// database (the bench's own query excluded; -1: unknown).
	PGConnections int        `json:"pgConnections"`
	PGAll         int        `json:"pgAll"`
	Counts        SoakCounts `json:"counts"` // of the round that ended with this sample
}

// SoakVerdict says whether a resource stayed flat.
type SoakVerdict struct {
	Resource string  `json:"resource"`
	Unit     string  `json:"unit,omitempty"`
	Middle   float64 `json:"middle"` // mean of the middle third of the samples
	Last     float64 `json:"last"`   // mean of the last third
	Limit    float64 `json:"limit"`  // the most Last may be for the resource to be flat
	Verdict  string  `json:"verdict"`
	Gating   bool    `json:"gating"` // counts for the exit status of a checked soak
	Note     string  `json:"note,omitempty"`
}

const (
	verdictFlat    = "flat"
	verdictGrowing = "GROWING"
	verdictNoData  = "no data"
)

func (v SoakVerdict) String() string {
	s := v.Resource + ": " + v.Verdict
	switch v.Verdict {
	case verdictFlat:
		s += fmt.Sprintf(" (middle third %s%s, last third %s%s; limit %s%s)", fmtVal(v.Middle), v.Unit,
			fmtVal(v.Last), v.Unit, fmtVal(v.Limit), v.Unit)
	case verdictGrowing:
		s += fmt.Sprintf(" (middle third %s%s, last third %s%s: %+.1f%%, over the limit %s%s)", fmtVal(v.Middle), v.Unit,
			fmtVal(v.Last), v.Unit, 100*(v.Last-v.Middle)/max(v.Middle, 1e-9), fmtVal(v.Limit), v.Unit)
	}
	if v.Note != "" {
		s += " [" + v.Note + "]"
	}
	return s
}

func fmtVal(v float64) string {
	if v == float64(int64(v)) && v < 1e6 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// flatness compares the mean of the last third of a series with the mean of its middle third (NaN: no
// value), allowing rel of the middle third's mean plus abs.
func flatness(series []float64, rel, abs float64) (middle, last, limit float64, verdict string) {
	k := len(series) / 3
	if k == 0 {
		return 0, 0, 0, verdictNoData
	}
	mean := func(v []float64) (float64, bool) {
		var sum float64
		n := 0
		for _, x := range v {
			if x == x { // not NaN
				sum += x
				n++
			}
		}
		return sum / float64(max(n, 1)), n > 0
	}
	middle, okM := mean(series[k : 2*k])
	last, okL := mean(series[len(series)-k:])
	if !okM || !okL {
		return 0, 0, 0, verdictNoData
	}
	limit = middle + rel*max(middle, 0) + abs
	if last > limit {
		return middle, last, limit, verdictGrowing
	}
	return middle, last, limit, verdictFlat
}

// soakResource is one watched series.
type soakResource struct {
	name, unit string
	abs        float64 // slack besides soakTolerance
	gating     bool
	note       string
	get        func(s *SoakSample) (float64, bool)
}

func soakResources(procs []string) []soakResource {
	var rs []soakResource
	for _, p := range procs {
		rs = append(rs, soakResource{name: "RSS " + p, unit: " MiB", abs: 2, gating: true,
			get: func(s *SoakSample) (float64, bool) { v, ok := s.RSS[p]; return float64(v) / (1 << 20), ok }})
	}
	for _, p := range procs {
		rs = append(rs, soakResource{name: "goroutines " + p, abs: 20, gating: true,
			get: func(s *SoakSample) (float64, bool) { v, ok := s.Goroutines[p]; return float64(v), ok }})
	}
	for _, p := range procs {
		rs = append(rs, soakResource{name: "open fds " + p, abs: 5, gating: true,
			get: func(s *SoakSample) (float64, bool) { v, ok := s.FDs[p]; return float64(v), ok }})
	}
	sum := func(m map[string]int) (float64, bool) {
		t := 0
		for _, v := range m {
			t += v
		}
		return float64(t), len(m) > 0
	}
	rs = append(rs,
		soakResource{name: "Redis connections of the servers", abs: 2, gating: true,
			get: func(s *SoakSample) (float64, bool) { return sum(s.RedisConns) }},
		soakResource{name: "PostgreSQL connections of the servers", abs: 2, gating: true,
			get: func(s *SoakSample) (float64, bool) { return sum(s.PGConns) }},
		soakResource{name: "Redis connected_clients", abs: 2,
			note: "server-wide: other clients of this Redis count too, so it does not decide the exit status",
			get:  func(s *SoakSample) (float64, bool) { return float64(s.RedisClients), s.RedisClients >= 0 }},
		soakResource{name: "PostgreSQL connections to " + clusterDB + " (pg_stat_activity)", abs: 2, gating: true,
			get: func(s *SoakSample) (float64, bool) { return float64(s.PGConnections), s.PGConnections >= 0 }},
	)
	return rs
}

// soakVerdicts judges every watched series of the samples.
func soakVerdicts(procs []string, samples []SoakSample) []SoakVerdict {
	var out []SoakVerdict
	for _, r := range soakResources(procs) {
		series := make([]float64, len(samples))
		for i := range samples {
			v, ok := r.get(&samples[i])
			if !ok {
				v = math.NaN()
			}
			series[i] = v
		}
		mid, last, limit, verdict := flatness(series, soakTolerance, r.abs)
		out = append(out, SoakVerdict{Resource: r.name, Unit: r.unit, Middle: mid, Last: last, Limit: limit,
			Verdict: verdict, Gating: r.gating, Note: r.note})
	}
	return out
}

// soakProblems lists what fails a checked soak: a gating resource growing, acked messages not delivered,
// lost acks, seq gaps.
func soakProblems(res *SoakResult) []string {
	var out []string
	for _, v := range res.Verdicts {
		if v.Gating && v.Verdict == verdictGrowing {
			out = append(out, v.String())
		}
	}
	t := res.Totals
	if t.Missing > 0 {
		out = append(out, fmt.Sprintf("%d deliveries of acked messages missing (%d expected, %d live, %d late)",
			t.Missing, t.Expected, t.Live, t.Late))
	}
	if t.AckTimeouts > 0 {
		out = append(out, fmt.Sprintf("%d acks lost (none within the ack timeout)", t.AckTimeouts))
	}
	if t.Gaps > 0 {
		out = append(out, fmt.Sprintf("%d seq gaps (events never delivered on an open connection)", t.Gaps))
	}
	return out
}

// soak runs the soak on t.
func (b *bench) soak(ctx context.Context, t *target, fx *fixture, tr *TargetResult) (*SoakResult, error) {
	sz := b.cfg.sizes
	n, size := sz.SoakUsers, sz.GroupSize
	K := min(max(sz.SoakChurnGroups, 1), n)
	b.prog.set(t.name, soakLabel, "setup", 0, 0)
	if err := setup(tr, soakLabel, func() error { return fx.ensureGroups(ctx, n, size) }); err != nil {
		return nil, err
	}
	res := &SoakResult{Users: n, Conversations: (n + size - 1) / size, GroupSize: size, ChurnGroups: K,
		Rate: sz.SoakRate, RESTRate: sz.SoakRESTRate, IntervalS: sz.SoakInterval.Seconds(), PGDatabase: clusterDB,
		Checked: b.cfg.mode != "smoke"}
	for _, p := range t.servers {
		res.Processes = append(res.Processes, p.Name)
	}
	noteErr := func(s string) {
		if s != "" && len(res.Errors) < maxSoakErrors && !slices.Contains(res.Errors, s) {
			res.Errors = append(res.Errors, s)
		}
	}

	// Churn group k holds users k, k+K, k+2K, ...: every conversation has members in every group. Socket j of
	// a group is user members[k][j], on origin (gateway) user mod origins.
	members := make([][]int, K)
	for u := range n {
		members[u%K] = append(members[u%K], u)
	}
	up := make([][]bool, K) // connected, by group and socket
	defer func() {
		for k := range K {
			b.closeGroup(ctx, soakGroup(k))
		}
	}()
	b.prog.set(t.name, soakLabel, "connecting", 0, 0)
	all := &connected{failedAt: map[int]bool{}}
	for k := range K {
		socks := make([]loadgen.Socket, len(members[k]))
		for j, u := range members[k] {
			socks[j] = loadgen.Socket{URL: t.urls[u%len(t.urls)], Token: fx.users[u].Token}
		}
		c, err := b.connect(ctx, soakGroup(k), false, true, 0, socks)
		if err != nil {
			return res, err
		}
		up[k] = make([]bool, len(socks))
		for j := range socks {
			up[k][j] = !c.failedAt[j]
			if c.failedAt[j] {
				all.failedAt[members[k][j]] = true
			}
		}
		all.Requested += c.Requested
		all.Connected += c.Connected
		all.Failed.Add(c.Failed)
		all.WallS += c.WallS
		all.Latency.Merge(&c.Latency)
	}
	all.P50Ms, all.P99Ms = ms(all.Latency.Quantile(0.5)), ms(all.Latency.Quantile(0.99))
	res.Connect = all
	if all.Connected == 0 {
		return res, fmt.Errorf("no socket connected: %s", all.Failed.First)
	}
	noteErr(all.Failed.First)
	b.settle(ctx, t)
	var err error
	if res.Warmup, err = b.warmup(ctx, t, soakLabel, b.soakPlan(fx, members, up, size).firsts); err != nil {
		return res, err
	}

	db := openDBProbe()
	defer db.close()
	rest := &restCounts{}
	rctx, stopREST := context.WithCancel(ctx)
	restDone := make(chan struct{})
	go func() { defer close(restDone); soakREST(rctx, fx, n, size, sz.SoakRESTRate, rest) }()
	defer func() { stopREST(); <-restDone }()

	tab := newSoakTable(res.Processes)
	b.prog.set(t.name, soakLabel, "running", sz.SoakRate, 0)
	b.prog.mute(true) // the series is the progress
	defer b.prog.mute(false)
	fmt.Fprintf(os.Stderr, "bench: %s soak: %d sockets (one per user, %d conversations of %d, both origins), %.0f msg/s "+
		"(acked, deliveries counted), 1/%d of the sockets reconnecting with sync every round, %.0f REST reads/s; "+
		"%s in rounds of %s, a sample at the end of each\n", t.name, all.Connected, res.Conversations, size,
		sz.SoakRate, K, sz.SoakRESTRate, sz.SoakDuration, sz.SoakInterval)
	tab.printHeader(os.Stderr)

	start := time.Now()
	sample := func(c SoakCounts) {
		s, errs := b.soakSample(ctx, t, db)
		s.T = time.Since(start).Seconds()
		c.ProbeErrors += len(errs)
		for _, e := range errs {
			noteErr(e)
		}
		s.Counts = c
		res.Samples = append(res.Samples, s)
		res.Totals.add(c)
		tab.printRow(os.Stderr, &s)
	}
	sample(SoakCounts{}) // before the load
	rounds := max(int((sz.SoakDuration+sz.SoakInterval/2)/sz.SoakInterval), 1)
	grace := min(sz.Grace, time.Second)
	// over is the part of a round that does not send (the step's grace and collection, the sample, the churn,
	// the pause after it): a first guess, then what the previous round took.
	over := grace + startLead + collectMargin + 500*time.Millisecond
	var errs []error
	for r := 1; r <= rounds && ctx.Err() == nil; r++ {
		roundStart := time.Now()
		end := start.Add(time.Duration(r) * sz.SoakInterval)
		dur := max(time.Until(end)-over, sz.SoakInterval/2)
		pl := b.soakPlan(fx, members, up, size)
		b.prog.set(t.name, soakLabel, fmt.Sprintf("round %d/%d", r, rounds), sz.SoakRate, pl.fan)
		st, err := b.step(ctx, t, rateSpec{label: soakLabel, rate: sz.SoakRate, senders: pl.senders, random: true,
			fan: pl.fan, dur: dur, grace: grace, expected: pl.expected})
		if err != nil {
			errs = append(errs, fmt.Errorf("round %d: %w", r, err))
			break
		}
		var c SoakCounts
		c.fromStep(st)
		noteErr(codesText("ack", st.AckCodes))
		s, serrs := b.soakSample(ctx, t, db)
		s.T = time.Since(start).Seconds()
		c.ProbeErrors += len(serrs)
		for _, e := range serrs {
			noteErr(e)
		}
		k := (r - 1) % K
		ch, first, err := b.soakChurn(ctx, fx, k, members[k], up[k], size, rest)
		noteErr(first)
		c.Churned, c.Resumed, c.ResumeFailed = ch.Churned, ch.Resumed, ch.ResumeFailed
		c.SyncErrors, c.SyncTimeouts = ch.SyncErrors, ch.SyncTimeouts
		c.RESTReads, c.RESTErrors, first = rest.take()
		noteErr(first)
		s.Counts = c
		res.Samples = append(res.Samples, s)
		res.Totals.add(c)
		tab.printRow(os.Stderr, &s)
		if err != nil {
			errs = append(errs, fmt.Errorf("round %d: churn: %w", r, err))
			break
		}
		// The resumed sockets are in their rooms (a sync is answered after the socket's set-up); a short pause
		// all the same, as a client would take before sending.
		sleepCtx(ctx, min(sz.MinSettle, 300*time.Millisecond))
		over = time.Since(roundStart) - dur
		sleepCtx(ctx, time.Until(end))
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	if len(res.Samples) > 1 {
		res.DurationS = res.Samples[len(res.Samples)-1].T
	}
	res.Verdicts = soakVerdicts(res.Processes, res.Samples)
	res.Problems = soakProblems(res)
	b.prog.mute(false)
	printSoakEnd(os.Stderr, t.name, res)
	if res.Checked && len(res.Problems) > 0 {
		errs = append(errs, fmt.Errorf("not flat or not delivered: %s", strings.Join(res.Problems, "; ")))
	}
	return res, errors.Join(errs...)
}

// printSoakEnd prints the verdicts and the totals.
func printSoakEnd(w io.Writer, target string, res *SoakResult) {
	for _, v := range res.Verdicts {
		fmt.Fprintf(w, "bench: %s soak verdict: %s\n", target, v)
	}
	t := res.Totals
	fmt.Fprintf(w, "bench: %s soak totals: %d sent, %d acked, %d ack timeouts, %d refused; deliveries %d expected, %d live, "+
		"%d late, %d missing, %d dup, %d seq gaps; %d sockets churned, %d resumed; %d REST reads, %d errors in all\n",
		target, t.Sent, t.Acked, t.AckTimeouts, t.AckErrors, t.Expected, t.Live, t.Late, t.Missing, t.Dups, t.Gaps,
		t.Churned, t.Resumed, t.RESTReads, t.errorCount())
	switch {
	case len(res.Problems) == 0:
		fmt.Fprintf(w, "bench: %s soak: every resource flat, every acked message delivered\n", target)
	case !res.Checked:
		fmt.Fprintf(w, "bench: %s soak (smoke, not checked): %s\n", target, strings.Join(res.Problems, "; "))
	default:
		fmt.Fprintf(w, "bench: %s soak FAILED: %s\n", target, strings.Join(res.Problems, "; "))
	}
}

// codesText renders error codes as "what: code n, ..." ("" when none).
func codesText(what string, c map[string]int) string {
	if len(c) == 0 {
		return ""
	}
	return what + " codes " + codes(c)
}

// soakPlanned is one round's senders (by worker) and what each acked message of theirs owes.
type soakPlanned struct {
	senders    [][]loadgen.Sender
	recipients [][]uint64 // per sender: its conversation's connected sockets (its own included)
	firsts     [][]loadgen.Sender
	fan        float64
}

func (p soakPlanned) expected(perSender [][]int) uint64 {
	var due uint64
	for w, ps := range perSender {
		for k, acked := range ps {
			if w < len(p.recipients) && k < len(p.recipients[w]) {
				due += uint64(acked) * p.recipients[w][k]
			}
		}
	}
	return due
}

// soakPlan makes the senders of a round from the sockets connected now.
func (b *bench) soakPlan(fx *fixture, members [][]int, up [][]bool, size int) soakPlanned {
	W := len(b.pool.ws)
	live := map[string]uint64{}
	for k := range members {
		for j, u := range members[k] {
			if up[k][j] {
				live[fx.groupOf(u, size).ID]++
			}
		}
	}
	p := soakPlanned{senders: make([][]loadgen.Sender, W), recipients: make([][]uint64, W), firsts: make([][]loadgen.Sender, W)}
	warmed := map[string]bool{}
	count := 0
	for k := range members {
		for j, u := range members[k] {
			if !up[k][j] {
				continue
			}
			conv := fx.groupOf(u, size).ID
			w, idx := b.pool.where(j)
			snd := loadgen.Sender{Group: soakGroup(k), Index: idx, Conv: conv}
			p.senders[w] = append(p.senders[w], snd)
			p.recipients[w] = append(p.recipients[w], live[conv])
			if !warmed[conv] {
				warmed[conv] = true
				p.firsts[w] = append(p.firsts[w], snd)
			}
			p.fan += float64(live[conv])
			count++
		}
	}
	if count > 0 {
		p.fan /= float64(count)
	}
	return p
}

// soakChurn reconnects churn group k: each socket's connection is closed (TCP) and opened again, and the
// socket calls sync from soakSyncBack events before its conversation's last seq (read over REST). It updates
// up with the sockets that came back and returns the first error message seen.
func (b *bench) soakChurn(ctx context.Context, fx *fixture, k int, members []int, up []bool, size int, rest *restCounts) (SoakCounts, string, error) {
	var c SoakCounts
	convAt := map[string]int{}
	var convs []string
	var askers []user
	idx := make([]int, len(members))
	for j, u := range members {
		g := fx.groupOf(u, size)
		i, ok := convAt[g.ID]
		if !ok {
			i = len(convs)
			convAt[g.ID] = i
			convs = append(convs, g.ID)
			askers = append(askers, fx.users[u])
		}
		idx[j] = i
	}
	seqs := make([]int64, len(convs))
	_ = parallel(ctx, len(convs), func(ctx context.Context, i int) error {
		seq, err := fx.lastSeq(ctx, askers[i], convs[i])
		rest.record(err)
		seqs[i] = seq
		return nil // a failed read syncs from 0
	})
	syncs := make([]string, len(convs))
	for i := range convs {
		syncs[i] = fmt.Sprintf(`{"cursors":{%q:%d}}`, convs[i], max(seqs[i]-soakSyncBack, 0))
	}
	W := len(b.pool.ws)
	out := make([]loadgen.ResumeResult, W)
	deadline := time.Now().Add(soakResumeDeadline)
	rctx, cancel := context.WithDeadline(ctx, deadline.Add(10*time.Second))
	defer cancel()
	err := b.pool.each(rctx, loadgen.OpResume, func(w int) any {
		var si []int
		for j := w; j < len(members); j += W {
			si = append(si, idx[j])
		}
		if len(si) == 0 {
			return nil
		}
		return loadgen.ResumeArgs{Group: soakGroup(k), Source: b.pool.source(), Concurrency: 32,
			DeadlineNs: deadline.UnixNano(), Sync: syncs, SyncIdx: si}
	}, func(w int) any { return &out[w] })
	c.Churned = len(members)
	for j := range up {
		up[j] = err == nil
	}
	first := ""
	for w, r := range out {
		c.Resumed += r.Resumed
		c.ResumeFailed += r.Failed.Total()
		c.SyncErrors += r.SyncErrors
		c.SyncTimeouts += r.SyncTimeouts
		for _, p := range r.FailedIdx {
			if j := w + p*W; j < len(up) {
				up[j] = false
			}
		}
		if first == "" && r.Failed.First != "" {
			first = "reconnect: " + r.Failed.First
		}
		if first == "" && len(r.SyncCodes) > 0 {
			first = codesText("sync", r.SyncCodes)
		}
	}
	return c, first, err
}

// restCounts counts the soak's REST reads between samples.
type restCounts struct {
	mu          sync.Mutex
	reads, errs int
	first       string
}

func (r *restCounts) record(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads++
	if err != nil {
		r.errs++
		if r.first == "" {
			r.first = "REST: " + err.Error()
		}
	}
}

// take returns the counts since the last take, and the first error message among them.
func (r *restCounts) take() (reads, errs int, first string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	reads, errs, first = r.reads, r.errs, r.first
	r.reads, r.errs, r.first = 0, 0, ""
	return
}

// soakREST reads at rate a second until ctx ends, as a random member: its conversation, or its last 20
// messages, in turn.
func soakREST(ctx context.Context, fx *fixture, n, size int, rate float64, c *restCounts) {
	if rate <= 0 || n == 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := 0; ; k++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		u := rng.IntN(n)
		path := "/v1/conversations/" + fx.groupOf(u, size).ID
		if k%2 == 1 {
			path += "/messages?limit=20"
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := fx.api.do(rctx, fx.api.next(), fx.users[u].Token, http.MethodGet, path, nil, nil, http.StatusOK)
		cancel()
		if ctx.Err() != nil {
			return // cut off by the end of the soak
		}
		c.record(err)
	}
}

// soakSample reads the servers' resources: RSS from /proc, goroutines from /metrics, open fds and the
// established connections to Redis and PostgreSQL from /proc, and the databases' own connection counts. It
// returns what could not be read.
func (b *bench) soakSample(ctx context.Context, t *target, db *dbProbe) (SoakSample, []string) {
	s := b.take(ctx, t)
	out := SoakSample{RSS: map[string]int64{}, Goroutines: map[string]int64{}, FDs: map[string]int{},
		RedisConns: map[string]int{}, PGConns: map[string]int{}}
	errs := append([]string(nil), s.errs...)
	peers, perr := probe.TCPPeers()
	if perr != nil {
		errs = append(errs, perr.Error())
	}
	for _, p := range t.servers {
		if v, ok := s.rss[p.Name]; ok {
			out.RSS[p.Name] = v
		}
		m := s.metrics[p.Name]
		if m != nil {
			out.Goroutines[p.Name] = int64(m.Value("go_goroutines"))
		}
		n, socks, err := probe.FDs(p.PID)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", p.Name, err))
			if v, ok := m["process_open_fds"]; ok {
				out.FDs[p.Name] = int(v)
			}
			continue
		}
		out.FDs[p.Name] = n
		if peers == nil {
			continue
		}
		var rc, pc int
		for ino := range socks {
			port, ok := peers[ino]
			switch {
			case !ok:
			case port == db.redisPort:
				rc++
			case port == db.pgPort:
				pc++
			}
		}
		out.RedisConns[p.Name], out.PGConns[p.Name] = rc, pc
	}
	errs = append(errs, db.sample(ctx, &out)...)
	return out, errs
}

// soakTable prints the series: fixed-width columns on the terminal, a Markdown table in results.md.
type soakTable struct {
	groups []soakColGroup
}

type soakColGroup struct {
	name string
	cols []soakCol
}

type soakCol struct {
	head, long string // short (terminal) and long (Markdown) headings
	width      int
	val        func(s *SoakSample) string
}

// short abbreviates a process name: worker-1 → w1, gateway-2 → g2.
func short(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 && i+1 < len(name) {
		return name[:1] + name[i+1:]
	}
	return name
}

func newSoakTable(procs []string) soakTable {
	perProc := func(group string, width int, get func(s *SoakSample, p string) (string, bool)) soakColGroup {
		g := soakColGroup{name: group}
		for _, p := range procs {
			g.cols = append(g.cols, soakCol{head: short(p), long: group + " " + p, width: width,
				val: func(s *SoakSample) string {
					if v, ok := get(s, p); ok {
						return v
					}
					return "-"
				}})
		}
		return g
	}
	itoa := func(v int) string { return fmt.Sprintf("%d", v) }
	known := func(v int) string {
		if v < 0 {
			return "-"
		}
		return itoa(v)
	}
	sum := func(m map[string]int) string {
		if len(m) == 0 {
			return "-"
		}
		t := 0
		for _, v := range m {
			t += v
		}
		return itoa(t)
	}
	cnt := func(head, long string, width int, get func(c SoakCounts) int) soakCol {
		return soakCol{head: head, long: long, width: width, val: func(s *SoakSample) string { return itoa(get(s.Counts)) }}
	}
	return soakTable{groups: []soakColGroup{
		{name: "", cols: []soakCol{{head: "time", long: "time", width: 5,
			val: func(s *SoakSample) string { return clock(time.Duration(s.T * float64(time.Second))) }}}},
		perProc("RSS MiB", 6, func(s *SoakSample, p string) (string, bool) {
			v, ok := s.RSS[p]
			return fmt.Sprintf("%.1f", float64(v)/(1<<20)), ok
		}),
		perProc("goroutines", 5, func(s *SoakSample, p string) (string, bool) {
			v, ok := s.Goroutines[p]
			return fmt.Sprintf("%d", v), ok
		}),
		perProc("open fds", 4, func(s *SoakSample, p string) (string, bool) {
			v, ok := s.FDs[p]
			return itoa(v), ok
		}),
		{name: "redis", cols: []soakCol{
			{head: "own", long: "Redis conns of the servers", width: 3, val: func(s *SoakSample) string { return sum(s.RedisConns) }},
			{head: "all", long: "Redis connected_clients", width: 3, val: func(s *SoakSample) string { return known(s.RedisClients) }}}},
		{name: "pg", cols: []soakCol{
			{head: "own", long: "PostgreSQL conns of the servers", width: 3, val: func(s *SoakSample) string { return sum(s.PGConns) }},
			{head: "db", long: "pg_stat_activity on " + clusterDB, width: 3, val: func(s *SoakSample) string { return known(s.PGConnections) }}}},
		{name: "messages", cols: []soakCol{
			cnt("sent", "sent", 5, func(c SoakCounts) int { return c.Sent }),
			cnt("acked", "acked", 5, func(c SoakCounts) int { return c.Acked }),
			cnt("deliv", "delivered live", 6, func(c SoakCounts) int { return int(c.Live) }),
			cnt("expect", "expected", 6, func(c SoakCounts) int { return int(c.Expected) }),
			cnt("late", "late", 4, func(c SoakCounts) int { return int(c.Late) }),
			cnt("miss", "missing", 4, func(c SoakCounts) int { return int(c.Missing) }),
			cnt("t/o", "ack timeouts", 3, func(c SoakCounts) int { return c.AckTimeouts }),
			cnt("err", "errors", 3, func(c SoakCounts) int { return c.errorCount() })}},
		{name: "churn", cols: []soakCol{{head: "resumed", long: "resumed / churned", width: 7,
			val: func(s *SoakSample) string { return fmt.Sprintf("%d/%d", s.Counts.Resumed, s.Counts.Churned) }}}},
		{name: "REST", cols: []soakCol{cnt("reads", "REST reads", 5, func(c SoakCounts) int { return c.RESTReads })}},
	}}
}

func (tb soakTable) printHeader(w io.Writer) {
	var top, heads []string
	for _, g := range tb.groups {
		var hs []string
		width := -1
		for _, c := range g.cols {
			hs = append(hs, fmt.Sprintf("%*s", c.width, c.head))
			width += c.width + 1
		}
		top = append(top, fmt.Sprintf("%-*s", width, g.name))
		heads = append(heads, strings.Join(hs, " "))
	}
	fmt.Fprintf(w, "soak %s\nsoak %s\n", strings.Join(top, " | "), strings.Join(heads, " | "))
}

func (tb soakTable) printRow(w io.Writer, s *SoakSample) {
	var parts []string
	for _, g := range tb.groups {
		var vs []string
		for _, c := range g.cols {
			vs = append(vs, fmt.Sprintf("%*s", c.width, c.val(s)))
		}
		parts = append(parts, strings.Join(vs, " "))
	}
	fmt.Fprintf(w, "soak %s\n", strings.Join(parts, " | "))
}

func (tb soakTable) markdown(m *md, samples []SoakSample) {
	var head []string
	for _, g := range tb.groups {
		for _, c := range g.cols {
			head = append(head, c.long)
		}
	}
	var rows [][]string
	for i := range samples {
		var row []string
		for _, g := range tb.groups {
			for _, c := range g.cols {
				row = append(row, c.val(&samples[i]))
			}
		}
		rows = append(rows, row)
	}
	m.table(head, rows)
}

func soakSection(m *md, r *Results) {
	for _, t := range r.Targets {
		s := t.Soak
		if s == nil {
			continue
		}
		m.p("## Soak (%s)", t.Name)
		m.p("")
		m.p("%d sockets (one per user; %d conversations of %d; spread over the origins), faults off, for %s in rounds "+
			"of %s: each round a random connected socket sends to its conversation at %.0f msg/s in total (acked; "+
			"every connected member's live deliveries counted), then the servers are sampled, then 1/%d of the sockets "+
			"have their connections closed (TCP) and reconnect, each calling `sync` from %d events back. %.0f REST "+
			"reads a second (a conversation, its last 20 messages) run throughout. The first row is before the load. "+
			"Open fds and each server's connections to Redis and PostgreSQL are from /proc; goroutines from /metrics.",
			s.Users, s.Conversations, s.GroupSize, num(s.DurationS, 0)+" s", num(s.IntervalS, 1)+" s", s.Rate,
			s.ChurnGroups, soakSyncBack, s.RESTRate)
		m.p("")
		newSoakTable(s.Processes).markdown(m, s.Samples)
		m.p("A resource is flat when the mean of the last third of its samples is at most %.0f%% above the mean of "+
			"the middle third, plus a slack (2 MiB RSS, 20 goroutines, 5 fds, 2 connections).%s", 100*soakTolerance,
			map[bool]string{true: "", false: " Smoke configuration: reported, not checked."}[s.Checked])
		m.p("")
		for _, v := range s.Verdicts {
			m.p("- %s", v)
		}
		tt := s.Totals
		m.p("")
		m.p("Totals: %d sent, %d acked, %d ack timeouts, %d refused; deliveries %d expected, %d live, %d late, %d missing, "+
			"%d duplicates, %d seq gaps; %d sockets churned, %d resumed (%d reconnect failures, %d sync errors, %d sync "+
			"timeouts); %d REST reads (%d errors); %d sockets closed by the servers; %d probe errors.",
			tt.Sent, tt.Acked, tt.AckTimeouts, tt.AckErrors, tt.Expected, tt.Live, tt.Late, tt.Missing, tt.Dups, tt.Gaps,
			tt.Churned, tt.Resumed, tt.ResumeFailed, tt.SyncErrors, tt.SyncTimeouts, tt.RESTReads, tt.RESTErrors,
			tt.ServerClosed, tt.ProbeErrors)
		m.p("")
		if len(s.Problems) > 0 {
			m.p("**Problems%s:** %s", map[bool]string{true: "", false: " (not checked in the smoke)"}[s.Checked],
				strings.Join(s.Problems, "; "))
			m.p("")
		}
		if len(s.Errors) > 0 {
			m.p("First errors: %s", strings.Join(s.Errors, "; "))
			m.p("")
		}
	}
}
