package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a process the bench measures.
type proc struct {
	Name       string `json:"name"` // standalone, gateway-1, worker-1, broker, baseline
	Role       string `json:"role"` // what it does: baseline, standalone, gateway, worker, broker
	PID        int    `json:"pid"`
	MetricsURL string `json:"metricsUrl,omitempty"`
}

// target is a running system under test.
type target struct {
	name string
	raw  bool // the baseline: plain WebSocket, no Socket.IO, no REST

	urls    []string // client origins; sockets and REST calls go round robin over them
	servers []proc   // whose CPU and memory are the target's
	extras  []proc   // measured apart (the broker); Redis and PostgreSQL are found by name when sampled
	idle    int      // index in servers of the process the idle scenario loads (one gateway of a cluster)
	dbs     bool     // sample the local Redis and PostgreSQL servers too
	stop    func()
	logs    []string // log files, shown when something fails
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startProcess runs a program with its output in a log file, in a process group of its own (so that a
// Ctrl-C of the bench does not hit it before the bench stops it in order).
func startProcess(name, logPath string, env []string, prog string, args ...string) (*exec.Cmd, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Pdeathsig: should the bench itself be killed, its servers do not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); f.Close() }()
	return cmd, nil
}

// stopProcess asks a process to stop (SIGTERM) and kills it after a grace period.
func stopProcess(cmd *exec.Cmd, grace time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(cmd.Process.Pid) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
}

// alive reports whether pid still runs (and is not a zombie waiting to be reaped).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// waitHTTP polls url until it answers 200, within timeout.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %s", url, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startBaseline runs the reference broadcast server (this binary, subcommand baseline-server).
func startBaseline(ctx context.Context, dir string) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(dir, "baseline.log")
	cmd, err := startProcess("baseline-server", logPath, nil, self, "baseline-server", "--addr", addr)
	if err != nil {
		return nil, err
	}
	t := &target{name: "baseline", raw: true, urls: []string{"ws://" + addr + "/"},
		servers: []proc{{Name: "baseline", Role: "baseline", PID: cmd.Process.Pid, MetricsURL: "http://" + addr + "/metrics"}},
		stop:    func() { stopProcess(cmd, 5*time.Second) }, logs: []string{logPath}}
	if err := waitHTTP(ctx, "http://"+addr+"/metrics", 20*time.Second); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

// startStandalone runs `scalechat serve --role standalone` on a fresh data directory.
func startStandalone(ctx context.Context, bin, dir string, env []string) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(dir, "standalone.log")
	cmd, err := startProcess("standalone", logPath, env, bin, "serve", "--role", "standalone", "--addr", addr,
		"--data-dir", filepath.Join(dir, "standalone-data"))
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	t := &target{name: "standalone", urls: []string{base},
		servers: []proc{{Name: "standalone", Role: "standalone", PID: cmd.Process.Pid, MetricsURL: base + "/metrics"}},
		stop:    func() { stopProcess(cmd, 15*time.Second) }, logs: []string{logPath}}
	if err := waitHTTP(ctx, base+"/readyz", 30*time.Second); err != nil {
		t.stop()
		return nil, fmt.Errorf("standalone: %w (log: %s)", err, logPath)
	}
	return t, nil
}

// clusterPorts are the fixed addresses test/cluster/run.sh uses for 2 gateways and 1 worker.
var clusterPorts = []int{8081, 8082, 8091, 19092}

// startCluster runs test/cluster/run.sh start 2 1 with the measured binary and a private state directory.
func startCluster(ctx context.Context, root, bin, dir string, serverEnv []string) (*target, error) {
	for _, p := range clusterPorts {
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err != nil {
			return nil, fmt.Errorf("cluster: port %d is taken (is another cluster running? `make cluster`, test/cluster/run.sh stop)", p)
		} else {
			ln.Close()
		}
	}
	// run.sh runs $BIN_DIR/scalechat and builds the broker there: give it a directory of its own that holds
	// the measured binary under that name.
	binDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(abs, filepath.Join(binDir, "scalechat")); err != nil {
		return nil, err
	}
	clusterDir := filepath.Join(dir, "cluster")
	env := append(append(os.Environ(), serverEnv...), "BIN_DIR="+binDir, "CLUSTER_DIR="+clusterDir)
	script := filepath.Join(root, "test", "cluster", "run.sh")
	runScript := func(timeout time.Duration, args ...string) error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		cmd := exec.CommandContext(sctx, "bash", append([]string{script}, args...)...)
		cmd.Env, cmd.Dir = env, root
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("run.sh %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	stop := func() {
		if err := runScript(60*time.Second, "stop"); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	if err := runScript(3*time.Minute, "start", "2", "1"); err != nil {
		stop()
		return nil, err
	}
	pids, err := readPids(filepath.Join(clusterDir, "pids"))
	if err != nil || len(pids) != 4 {
		stop()
		return nil, fmt.Errorf("cluster: want 4 pids (broker, worker, 2 gateways) in %s: %v %v", clusterDir, pids, err)
	}
	t := &target{name: "cluster", dbs: true, stop: stop, idle: 1,
		urls: []string{"http://127.0.0.1:8081", "http://127.0.0.1:8082"},
		servers: []proc{
			{Name: "worker-1", Role: "worker", PID: pids[1], MetricsURL: "http://127.0.0.1:8091/metrics"},
			{Name: "gateway-1", Role: "gateway", PID: pids[2], MetricsURL: "http://127.0.0.1:8081/metrics"},
			{Name: "gateway-2", Role: "gateway", PID: pids[3], MetricsURL: "http://127.0.0.1:8082/metrics"},
		},
		extras: []proc{{Name: "broker", Role: "broker", PID: pids[0]}},
	}
	for _, n := range []string{"broker", "worker-1", "gateway-1", "gateway-2"} {
		t.logs = append(t.logs, filepath.Join(clusterDir, n+".log"))
	}
	return t, nil
}

// readPids reads run.sh's pids file: one PID a line, in start order.
func readPids(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			pid, err := strconv.Atoi(s)
			if err != nil {
				return nil, err
			}
			out = append(out, pid)
		}
	}
	return out, sc.Err()
}

// startTarget starts a target by name.
func (b *bench) startTarget(ctx context.Context, name string) (*target, error) {
	dir := filepath.Join(b.tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	switch name {
	case "baseline":
		return startBaseline(ctx, dir)
	case "standalone":
		return startStandalone(ctx, b.bin, dir, serverEnv(b.cfg.sizes))
	case "cluster":
		return startCluster(ctx, b.root, b.bin, dir, serverEnv(b.cfg.sizes))
	}
	return nil, errors.New("unknown target " + name)
}
