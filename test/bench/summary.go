package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// summaryMain prints the headline figures of several runs as medians (with their range), optionally beside the
// runs of an earlier binary: `bench summary [--before DIR,...] [--out FILE] DIR...`. Numbers on a shared 2-core
// machine are noisy; a figure of one run is an anecdote, the median of three is a measurement.
func summaryMain(args []string) int {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	before := fs.String("before", "", "comma-separated result directories of the binary to compare against")
	out := fs.String("out", "", "also write the table to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "bench summary: name at least one result directory")
		return 2
	}
	after, err := loadRuns(fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench summary:", err)
		return 1
	}
	var prev []*Results
	if *before != "" {
		if prev, err = loadRuns(strings.Split(*before, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "bench summary:", err)
			return 1
		}
	}
	text := summarize(after, prev)
	fmt.Print(text)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench summary:", err)
			return 1
		}
	}
	return 0
}

func loadRuns(dirs []string) ([]*Results, error) {
	var runs []*Results
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(strings.TrimSpace(d), "results.json"))
		if err != nil {
			return nil, err
		}
		var r Results
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		runs = append(runs, &r)
	}
	return runs, nil
}

// figure is one headline number of a target in a run; ok is false when the run did not measure it.
type figure struct {
	name string
	dec  int
	get  func(t *TargetResult) (float64, bool)
}

// belowSaturation is the highest step offered at most frac of the saturation rate.
func belowSaturation(steps []*StepResult, sat, frac float64) *StepResult {
	var best *StepResult
	for _, s := range steps {
		if sat > 0 && s.OfferedMsgs <= frac*sat+1e-9 && (best == nil || s.OfferedMsgs > best.OfferedMsgs) {
			best = s
		}
	}
	return best
}

func atSaturation(steps []*StepResult, sat float64) *StepResult {
	for _, s := range steps {
		if sat > 0 && s.OfferedMsgs == sat {
			return s
		}
	}
	return nil
}

// ofFanout reads a figure of the members-sized fan-out, when the run stepped it at all.
func ofFanout(members int, get func(f *FanoutResult) (float64, bool)) func(*TargetResult) (float64, bool) {
	return func(t *TargetResult) (float64, bool) {
		f := fanoutOf(t, members)
		if f == nil || len(f.Steps) == 0 {
			return 0, false
		}
		return get(f)
	}
}

func fanoutFigures(members int) []figure {
	label := fmt.Sprintf("fan-out %s members: ", num(float64(members), 0))
	return []figure{
		{label + "deliveries/s, all delivered live", 0, ofFanout(members, func(f *FanoutResult) (float64, bool) {
			return f.SaturationDeliveries, true
		})},
		{label + "server µs per delivery there", 2, ofFanout(members, func(f *FanoutResult) (float64, bool) {
			return stepCPU(atSaturation(f.Steps, f.SaturationMsgs))
		})},
		{label + "p99 ms at ≤ 80% of that rate", 1, ofFanout(members, func(f *FanoutResult) (float64, bool) {
			return stepP99(belowSaturation(f.Steps, f.SaturationMsgs, 0.8))
		})},
	}
}

// stepAt is the step offered exactly rate msg/s, if the run got that far with every delivery in.
func stepAt(steps []*StepResult, rate float64) *StepResult {
	for _, s := range steps {
		if s.OfferedMsgs == rate && s.DeliveredPct >= 99.99 {
			return s
		}
	}
	return nil
}

func stepCPU(s *StepResult) (float64, bool) {
	if s == nil || s.Server.CPUUsPerDelivery == 0 {
		return 0, false
	}
	return s.Server.CPUUsPerDelivery, true
}

func stepP99(s *StepResult) (float64, bool) {
	if s == nil {
		return 0, false
	}
	return s.P99Ms, true
}

func lastIdle(t *TargetResult) *IdlePoint {
	if t.Idle == nil || len(t.Idle.Points) == 0 {
		return nil
	}
	return &t.Idle.Points[len(t.Idle.Points)-1]
}

// atRates compares targets at the same offered rates (per-delivery cost falls as batches grow with the rate).
func atRates(members int, rates ...float64) []figure {
	var out []figure
	for _, r := range rates {
		out = append(out, figure{fmt.Sprintf("fan-out %s members: server µs per delivery at %s msg/s",
			num(float64(members), 0), num(r, 0)), 2, ofFanout(members, func(f *FanoutResult) (float64, bool) {
			return stepCPU(stepAt(f.Steps, r))
		})})
	}
	return out
}

var summaryFigures = slices.Concat(fanoutFigures(1000), atRates(1000, 100, 400), fanoutFigures(10000), []figure{
	{"idle: KiB RSS per socket (slope to the largest batch)", 1, func(t *TargetResult) (float64, bool) {
		p := lastIdle(t)
		if p == nil {
			return 0, false
		}
		return p.SlopeRSSPerSocket / 1024, true
	}},
	{"idle: goroutines per socket", 2, func(t *TargetResult) (float64, bool) {
		p := lastIdle(t)
		if p == nil {
			return 0, false
		}
		return p.GoroutinesPerSock, true
	}},
	{"idle: connects/s (median batch)", 0, func(t *TargetResult) (float64, bool) {
		if t.Idle == nil || len(t.Idle.Points) == 0 {
			return 0, false
		}
		var v []float64
		for _, p := range t.Idle.Points {
			v = append(v, p.ConnectsPerS)
		}
		return median(v), true
	}},
	{"storm: % of sockets resumed in time", 1, func(t *TargetResult) (float64, bool) {
		if t.Storm == nil || t.Storm.Sockets == 0 {
			return 0, false
		}
		return 100 * float64(t.Storm.Resumed) / float64(t.Storm.Sockets), true
	}},
	{"storm: probe p99 ms", 1, func(t *TargetResult) (float64, bool) {
		if t.Storm == nil || t.Storm.Probe == nil {
			return 0, false
		}
		return t.Storm.Probe.P99Ms, true
	}},
	{"chat mix: msg/s, all delivered", 0, func(t *TargetResult) (float64, bool) {
		if t.Chatmix == nil {
			return 0, false
		}
		return t.Chatmix.SaturationMsgs, true
	}},
	{"chat mix: p99 ms at 500 msg/s", 1, func(t *TargetResult) (float64, bool) {
		if t.Chatmix == nil {
			return 0, false
		}
		for _, s := range t.Chatmix.Steps {
			if s.OfferedMsgs == 500 {
				return s.P99Ms, true
			}
		}
		return 0, false
	}},
	{"persist: messages/s over REST", 0, func(t *TargetResult) (float64, bool) {
		if t.Persist == nil {
			return 0, false
		}
		return t.Persist.PerS, true
	}},
})

// cell is the median of a figure over runs, with its range.
func cell(runs []*Results, target string, f figure) string {
	var v []float64
	for _, r := range runs {
		if t := r.find(target); t != nil && t.Error == "" {
			if x, ok := f.get(t); ok {
				v = append(v, x)
			}
		}
	}
	switch len(v) {
	case 0:
		return "—"
	case 1:
		return num(v[0], f.dec)
	}
	return fmt.Sprintf("%s (%s–%s)", num(median(v), f.dec), num(slices.Min(v), f.dec), num(slices.Max(v), f.dec))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else if n > 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return math.NaN()
}

func summarize(after, before []*Results) string {
	var m md
	first := after[0]
	m.p("Medians over %d run(s) of `%s` (range in brackets)%s. Machine: %d × %s, %s GiB, %s.",
		len(after), first.Binary.Version, beforeNote(before), first.Machine.NProc, first.Machine.CPUModel,
		num(float64(first.Machine.MemoryBytes)/(1<<30), 1), first.Machine.Kernel)
	m.p("")
	var targets []string
	for _, name := range allTargets {
		if first.find(name) != nil {
			targets = append(targets, name)
		}
	}
	head := []string{"figure"}
	for _, name := range targets {
		if len(before) > 0 && name != "baseline" && before[0].find(name) != nil {
			head = append(head, name+" before")
		}
		head = append(head, name)
	}
	var rows [][]string
	for _, f := range summaryFigures {
		row := []string{f.name}
		for _, name := range targets {
			if len(before) > 0 && name != "baseline" && before[0].find(name) != nil {
				row = append(row, cell(before, name, f))
			}
			row = append(row, cell(after, name, f))
		}
		rows = append(rows, row)
	}
	m.table(head, rows)
	return m.String()
}

func beforeNote(before []*Results) string {
	if len(before) == 0 {
		return ""
	}
	return fmt.Sprintf("; \"before\" is %d run(s) of `%s`", len(before), before[0].Binary.Version)
}
