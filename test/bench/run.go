package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scalechat/scalechat/test/bench/sio"
)

// bench is one run's state.
type bench struct {
	cfg    config
	root   string // the module root (test/cluster/run.sh lives under it)
	bin    string // the scalechat binary, absolute
	tmp    string // data directories and logs of the targets
	pool   *pool
	prog   *progress
	scrape *http.Client  // for /metrics
	tags   atomic.Uint32 // step tags: every measured step has its own
	// quietAt (Unix ns) is when the users of the last closed group will all have gone offline.
	quietAt atomic.Int64
}

// run measures every selected target and writes the results.
func run(ctx context.Context, cfg config) (*Results, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if cfg.out == "" {
		cfg.out = filepath.Join(root, "test", "bench", "results", "run-1")
	}
	b := &bench{cfg: cfg, root: root, scrape: &http.Client{Timeout: scrapeTimeout}}
	needBin := false
	for _, t := range cfg.targets {
		needBin = needBin || t != "baseline"
	}
	if needBin {
		if b.bin, err = resolveBinary(ctx, root, cfg.bin); err != nil {
			return nil, err
		}
	}
	if b.tmp, err = os.MkdirTemp("", "scalechat-bench-"); err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	if b.pool, err = startPool(cfg.sizes.Workers, deadline); err != nil {
		return nil, err
	}
	defer b.pool.close()
	b.prog = newProgress(b.pool)
	pctx, stopProgress := context.WithCancel(ctx)
	go b.prog.run(pctx)
	defer stopProgress()

	body := sio.AppendBody(nil, time.Now(), 0, cfg.sizes.BodyBytes)
	res := &Results{Mode: cfg.mode, Started: time.Now(), Machine: machineInfo(), Sizes: cfg.sizes,
		Scenarios: cfg.scenarios, Frame: FrameInfo{BodyBytes: len(body), Measured: map[string]int{},
			ComputedBytes: len(sio.AppendEventFrame(nil, sio.SampleTemplate(), body))}}
	if needBin {
		res.Binary = binaryInfo(ctx, root, b.bin)
	}
	fmt.Fprintf(os.Stderr, "bench: %s run: targets %s, scenarios %s, %d load-generator processes, deadline %s\n",
		cfg.mode, strings.Join(cfg.targets, ","), strings.Join(cfg.scenarios, ","), cfg.sizes.Workers,
		cfg.sizes.Deadline)
	for _, name := range cfg.targets {
		tr := b.runTarget(ctx, name)
		res.Targets = append(res.Targets, tr)
		for _, f := range tr.Fanout {
			for _, s := range f.Steps {
				if s.FrameBytes > res.Frame.Measured[name] {
					res.Frame.Measured[name] = s.FrameBytes
				}
			}
		}
	}
	res.Finished = time.Now()
	stopProgress()
	if err := writeResults(cfg.out, res); err != nil {
		return res, err
	}
	if len(res.failures()) == 0 && os.Getenv("BENCH_KEEP") == "" {
		_ = os.RemoveAll(b.tmp)
	} else {
		fmt.Fprintf(os.Stderr, "bench: logs of the targets kept in %s\n", b.tmp)
	}
	fmt.Fprintf(os.Stderr, "bench: done in %s; results in %s\n", res.Finished.Sub(res.Started).Round(time.Second), cfg.out)
	return res, nil
}

// runTarget starts a target, runs the scenarios that apply to it, and stops it.
func (b *bench) runTarget(ctx context.Context, name string) *TargetResult {
	tr := &TargetResult{Name: name, Setup: map[string]float64{}, Quiesce: map[string]float64{}}
	b.prog.set(name, "starting", "", 0, 0)
	t, err := b.startTarget(ctx, name)
	if err != nil {
		tr.Error = err.Error()
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", name, err)
		return tr
	}
	defer t.stop()
	tr.Processes = append(append([]proc(nil), t.servers...), t.extras...)
	var fx *fixture
	if !t.raw {
		fx = newFixture(t.urls)
	}
	for _, sc := range b.cfg.scenarios {
		if !runsOn(sc, t) {
			continue
		}
		if ctx.Err() != nil {
			tr.Errors = append(tr.Errors, sc+": not run: "+ctx.Err().Error())
			continue
		}
		b.prog.set(name, sc, "waiting for an idle server", 0, 0)
		tr.Quiesce[sc] = b.quiesce(ctx, t, b.cfg.sizes.QuiesceMax).Seconds()
		if err := b.scenario(ctx, t, fx, tr, sc); err != nil {
			tr.Errors = append(tr.Errors, sc+": "+err.Error())
			fmt.Fprintf(os.Stderr, "bench: %s %s: %v (logs: %s)\n", name, sc, err, strings.Join(t.logs, " "))
		}
	}
	b.prog.set(name, "stopping", "", 0, 0)
	return tr
}

// scenario runs one scenario on t and files its result in tr.
func (b *bench) scenario(ctx context.Context, t *target, fx *fixture, tr *TargetResult, sc string) error {
	switch sc {
	case "idle":
		r, err := b.idle(ctx, t, fx, tr)
		tr.Idle = r
		return err
	case "fanout":
		var errs []error
		for _, fs := range b.cfg.sizes.Fanout {
			r, err := b.fanout(ctx, t, fx, tr, fs)
			if r != nil {
				tr.Fanout = append(tr.Fanout, r)
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	case "chatmix":
		r, err := b.chatmix(ctx, t, fx, tr)
		tr.Chatmix = r
		return err
	case "storm":
		r, err := b.storm(ctx, t, fx, tr)
		tr.Storm = r
		return err
	case "persist":
		r, err := b.persist(ctx, t, fx, tr)
		tr.Persist = r
		return err
	case "soak":
		r, err := b.soak(ctx, t, fx, tr)
		tr.Soak = r
		return err
	}
	return fmt.Errorf("unknown scenario %q", sc)
}

// setup times a fixture step of a scenario.
func setup(tr *TargetResult, key string, fn func() error) error {
	start := time.Now()
	err := fn()
	tr.Setup[key] += time.Since(start).Seconds()
	return err
}

// moduleRoot finds the scalechat module from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/scalechat/scalechat\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench inside the scalechat module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

// resolveBinary returns the absolute path of the binary to measure, building the default one when missing
// (plain go build, no web UI: the bench does not need it), stamped with the work tree's version.
func resolveBinary(ctx context.Context, root, bin string) (string, error) {
	path := bin
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, bin)
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if bin != defaultBin {
		return "", fmt.Errorf("--bin %s: no such file", bin)
	}
	version := gitOutput(ctx, root, "describe", "--tags", "--always", "--dirty")
	if version == "" {
		version = "dev"
	}
	fmt.Fprintf(os.Stderr, "bench: building %s (version %s)\n", path, version)
	bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(bctx, "go", "build", "-ldflags", "-X github.com/scalechat/scalechat/app.Version="+version,
		"-o", path, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building scalechat: %w\n%s", err, out)
	}
	return path, nil
}

// gitOutput runs git in dir and returns its trimmed output ("" on any failure).
func gitOutput(ctx context.Context, dir string, args ...string) string {
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(gctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
