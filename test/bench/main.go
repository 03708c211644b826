// Command bench measures scalechat's real-time figures on this machine and writes them as results.json,
// results.md and PNG charts: fan-out throughput and latency, idle socket cost, reconnection storms, a chat mix
// of small groups, and persisted messages per second over REST. Every scenario runs against each target in
// the same run: a minimal WebSocket broadcast server (the physical reference), the standalone role, and a
// local cluster (2 gateways, 1 worker, the kfake broker, local Redis and PostgreSQL).
//
// The load comes from worker processes (this binary re-executed as `bench worker`) driven over stdin and
// stdout; they speak Socket.IO over WebSocket with the bench's own cheap client (package sio). Everything is
// local: targets must be loopback addresses, and every wait is bounded by a timeout and the run's deadline.
//
//	go run ./test/bench                 # the full configuration (make bench)
//	go run ./test/bench --quick         # small sizes, short steps: under 3 minutes (make bench-quick)
//	go run ./test/bench --smoke         # tiny sizes, for tests
//	go run ./test/bench --targets standalone --scenarios fanout --bin /tmp/before/scalechat
//	go run ./test/bench --targets cluster --scenarios soak --soak-duration 10m   # resources flat under load (make soak)
//	go run ./test/bench report --dir test/bench/results/run-1   # rewrite results.md and the charts from results.json
//	go run ./test/bench summary --before test/bench/results/before test/bench/results/run-*   # medians of runs
//
// For tuning the generator itself: BENCH_WORKER_GOMAXPROCS (default 1) sets the workers' GOMAXPROCS, and
// BENCH_WORKER_CPUPROFILE=prefix writes each worker's CPU profile to prefix.<id>.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scalechat/scalechat/test/bench/baseline"
	"github.com/scalechat/scalechat/test/bench/loadgen"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "worker":
			os.Exit(workerMain(os.Args[2:]))
		case "baseline-server":
			os.Exit(baseline.Main(os.Args[2:]))
		case "report":
			os.Exit(reportMain(os.Args[2:]))
		case "summary":
			os.Exit(summaryMain(os.Args[2:]))
		}
	}
	os.Exit(benchMain(os.Args[1:]))
}

// benchMain is the coordinator: it parses flags, runs every target and scenario, and writes the results.
func benchMain(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "small sizes and short steps (whole run under 3 minutes)")
	smoke := fs.Bool("smoke", false, "tiny sizes, for tests")
	targets := fs.String("targets", strings.Join(allTargets, ","), "targets to measure, comma-separated")
	scenarios := fs.String("scenarios", strings.Join(allScenarios, ","),
		"scenarios to run, comma-separated (soak, on the cluster only, runs only when named)")
	bin := fs.String("bin", defaultBin, "scalechat binary to measure (built with go build when it is the default and missing)")
	out := fs.String("out", "", "directory for results.json, results.md and the charts (default test/bench/results/run-1 in the module)")
	deadline := fs.Duration("deadline", 0, "bound on the whole run (default: 90m, --quick 6m, --smoke 3m)")
	workers := fs.Int("workers", 0, "load-generator processes (default: 3, --quick and --smoke 2)")
	fanout := fs.String("fanout", "", "override the fan-out sizes: members:rate,rate,...[;members:rate,...]")
	step := fs.Duration("step", 0, "override how long each rate step sends")
	idle := fs.String("idle", "", "override the idle socket counts: n,n,... (cumulative)")
	storm := fs.Int("storm", 0, "override the storm's socket count")
	chatUsers := fs.Int("chat-users", 0, "override the chat mix's user count")
	chatRates := fs.String("chat-rates", "", "override the chat mix's stepped rates: rate,rate,... (msg/s)")
	soakDuration := fs.Duration("soak-duration", 0, "how long the soak runs (default: 10m, --quick 2m, --smoke 9s)")
	soakInterval := fs.Duration("soak-interval", 0, "the soak's sample interval, one round of load and churn each (default: 10s, --quick 5s, --smoke 1.5s)")
	soakUsers := fs.Int("soak-users", 0, "override the soak's socket count (one per user)")
	soakRate := fs.Float64("soak-rate", 0, "override the soak's message rate (msg/s, all senders together)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected arguments %v\n", fs.Args())
		return 2
	}
	mode, sz := "full", fullSizes()
	switch {
	case *smoke:
		mode, sz = "smoke", smokeSizes()
	case *quick:
		mode, sz = "quick", quickSizes()
	}
	override(&sz.Workers, *workers)
	override(&sz.Deadline, *deadline)
	override(&sz.Step, *step)
	override(&sz.Storm, *storm)
	override(&sz.ChatUsers, *chatUsers)
	override(&sz.SoakDuration, *soakDuration)
	override(&sz.SoakInterval, *soakInterval)
	override(&sz.SoakUsers, *soakUsers)
	override(&sz.SoakRate, *soakRate)
	if sz.SoakInterval < time.Second || sz.SoakDuration < sz.SoakInterval {
		fmt.Fprintln(os.Stderr, "bench: want --soak-interval of 1s or more and --soak-duration of at least one interval")
		return 2
	}
	if *chatRates != "" {
		r, err := parseRates(*chatRates)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: --chat-rates:", err)
			return 2
		}
		sz.ChatRates = r
	}
	if *fanout != "" {
		f, err := parseFanout(*fanout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: --fanout:", err)
			return 2
		}
		sz.Fanout = f
	}
	if *idle != "" {
		n, err := parseInts(*idle)
		if err != nil || !sortedPositive(n) {
			fmt.Fprintln(os.Stderr, "bench: --idle: want increasing positive counts, e.g. 1000,5000")
			return 2
		}
		sz.Idle = n
	}
	cfg := config{mode: mode, sizes: sz, bin: *bin, out: *out}
	var err error
	if cfg.targets, err = pick(*targets, allTargets); err != nil {
		fmt.Fprintln(os.Stderr, "bench: --targets:", err)
		return 2
	}
	if cfg.scenarios, err = pick(*scenarios, knownScenarios); err != nil {
		fmt.Fprintln(os.Stderr, "bench: --scenarios:", err)
		return 2
	}
	if *deadline == 0 && slices.Contains(cfg.scenarios, "soak") {
		sz.Deadline += sz.SoakDuration // the soak's time on top of the mode's bound
		cfg.sizes = sz
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, sz.Deadline)
	defer cancel()
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if failed := res.failures(); len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "bench: finished with errors:\n  %s\n", strings.Join(failed, "\n  "))
		return 1
	}
	return 0
}

// reportMain rewrites results.md and the charts from a results.json: `bench report --dir DIR`.
func reportMain(args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dir := fs.String("dir", "test/bench/results/run-1", "directory holding results.json; results.md and the charts are written there")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	raw, err := os.ReadFile(filepath.Join(*dir, "results.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench report:", err)
		return 1
	}
	var res Results
	if err := json.Unmarshal(raw, &res); err != nil {
		fmt.Fprintln(os.Stderr, "bench report:", err)
		return 1
	}
	if err := writeResults(*dir, &res); err != nil {
		fmt.Fprintln(os.Stderr, "bench report:", err)
		return 1
	}
	return 0
}

// workerMain is a load-generator process: `bench worker --id N --deadline UNIX`. It exits when its stdin
// closes or its deadline passes, so that it never outlives the coordinator by long.
func workerMain(args []string) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	id := fs.Int("id", 0, "worker number")
	deadline := fs.Int64("deadline", 0, "Unix time (s) to exit at")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// BENCH_WORKER_CPUPROFILE=prefix writes each worker's CPU profile to prefix.<id>: for tuning the generator.
	if prefix := os.Getenv("BENCH_WORKER_CPUPROFILE"); prefix != "" {
		if f, err := os.Create(prefix + "." + strconv.Itoa(*id)); err == nil {
			defer f.Close() // after the profile is written (defers run last first)
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	ctx := context.Background()
	if *deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(*deadline, 0))
		defer cancel()
	}
	if err := loadgen.Serve(ctx, *id, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench worker "+strconv.Itoa(*id)+":", err)
		return 1
	}
	return 0
}

// parseFanout reads "members:rate,rate;members:rate".
func parseFanout(spec string) ([]fanoutSize, error) {
	var out []fanoutSize
	for _, part := range strings.Split(spec, ";") {
		m, rates, ok := strings.Cut(part, ":")
		members, err := strconv.Atoi(strings.TrimSpace(m))
		if !ok || err != nil || members < 2 {
			return nil, fmt.Errorf("%q: want members:rate,rate,...", part)
		}
		r, err := parseRates(rates)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, fanoutSize{Members: members, Rates: r})
	}
	return out, nil
}

// parseRates reads rate,rate,... (positive numbers).
func parseRates(list string) ([]float64, error) {
	var out []float64
	for _, r := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("bad rate %q", r)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseInts(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func sortedPositive(n []int) bool {
	for i, v := range n {
		if v <= 0 || (i > 0 && v <= n[i-1]) {
			return false
		}
	}
	return len(n) > 0
}

// pick splits a comma-separated selection and checks every name against the known ones.
func pick(list string, known []string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		ok := false
		for _, k := range known {
			ok = ok || k == n
		}
		if !ok {
			return nil, fmt.Errorf("unknown %q (want some of %s)", n, strings.Join(known, ", "))
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nothing selected")
	}
	return out, nil
}

// override sets *dst to a flag's value when the flag was given (positive); zero keeps the mode's size.
func override[T int | float64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}
