// Package harness starts the real scalechat binary as separate processes for end-to-end tests, and the other
// programs such tests need (a Kafka-protocol broker, a private Redis or PostgreSQL) under the same control:
// Stop, Kill, Restart on the same address, logs kept across restarts and printed when the test failed.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// build is one program compiled once per test process.
type build struct {
	once sync.Once
	path string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*build{}
)

// Build compiles the main package pkg (a path relative to the module root, such as "." or "./test/kafkabroker")
// once per test process, into a temporary directory, with extra go build flags, and returns the program's path.
func Build(t testing.TB, pkg string, flags ...string) string {
	t.Helper()
	key := strings.Join(append([]string{pkg}, flags...), " ")
	buildsMu.Lock()
	b := builds[key]
	if b == nil {
		b = &build{}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "scalechat-bin-")
		if err != nil {
			b.err = err
			return
		}
		name := filepath.Base(filepath.Clean(pkg))
		if name == "." {
			name = "scalechat"
		}
		b.path = filepath.Join(dir, name)
		args := append(append([]string{"build"}, flags...), "-o", b.path, pkg)
		cmd := exec.Command("go", args...)
		cmd.Dir = ModuleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatalf("building %s: %v", pkg, b.err)
	}
	return b.path
}

// RemoveBuilds deletes the programs Build compiled in this test process. Call it from TestMain after m.Run;
// no Process may be started afterwards.
func RemoveBuilds() {
	buildsMu.Lock()
	defer buildsMu.Unlock()
	for key, b := range builds {
		if b.path != "" {
			_ = os.RemoveAll(filepath.Dir(b.path))
		}
		delete(builds, key)
	}
}

// ModuleRoot is the directory of the scalechat module (where go.mod is).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Binary builds bin/scalechat (with the race detector) once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	return Build(t, ".", "-race")
}

// KafkaBroker builds the dev Kafka-protocol broker (./test/kafkabroker) once per test process and returns its path.
func KafkaBroker(t testing.TB) string {
	t.Helper()
	return Build(t, "./test/kafkabroker")
}

// FreeAddr returns a loopback address with a port that was free a moment ago. The port comes from below the
// kernel's ephemeral range: a port the kernel picks (listen on :0) is in that range, and between the check and
// the server's bind any outgoing connection of the machine may take it as its source port ("address already in
// use", seen when many clusters run at once). Ports below the range are taken only by explicit binds; each test
// process starts at a random place in it and walks on, so parallel tests and processes do not pick alike.
func FreeAddr(t testing.TB) string {
	t.Helper()
	lo, hi := portRange()
	for range hi - lo {
		p := lo + int(nextPort.Add(1))%(hi-lo)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		return addr
	}
	t.Fatalf("finding a free port: none in %d-%d", lo, hi)
	return ""
}

// nextPort is the offset of the next port FreeAddr tries; it starts at a random place.
var nextPort = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(rand.Int64N(1 << 20))
	return &n
}()

// portRange is where FreeAddr picks ports: from 10000 up to the start of the kernel's ephemeral range.
func portRange() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > lo+1000 {
				hi = n
			}
		}
	}
	return lo, hi
}

// Process is a running scalechat process, or another program started with Exec.
type Process struct {
	Addr    string // host:port it listens on
	BaseURL string // http://Addr (scalechat processes only)
	Name    string // what logs and errors call it
	args    []string
	env     []string
	path    string                          // the program of Exec; "" for scalechat
	bin     string                          // scalechat: the build to run ("": Binary)
	ready   func(ctx context.Context) error // nil: scalechat's /readyz answers 200
	stopSig os.Signal
	timeout time.Duration // how long start waits for readiness
	cred    *syscall.Credential
	dir     string
	logs    *syncBuffer
	starts  int
	t       testing.TB

	mu   sync.Mutex // guards cmd and done, replaced by each start
	cmd  *exec.Cmd
	done chan struct{}
}

// run returns the current run's command and its exit channel.
func (p *Process) run() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.done
}

// Options configure a process.
type Options struct {
	Args []string // after "serve"; --addr is added
	Env  []string // extra environment variables
	Name string   // what logs call the process (default "scalechat")
	Addr string   // host:port to listen on (default: a free loopback port)
	// Path is another build of scalechat to run (default: Binary's race build of the module).
	Path string
	// ReadyTimeout bounds the wait for /readyz after each start (default 30 s).
	ReadyTimeout time.Duration
}

// Start runs `scalechat serve` with opts on a free port and waits until /readyz answers 200.
// The process is stopped (SIGTERM, then SIGKILL) when the test ends; its log is printed if the test failed.
// LocalTestLimits turns the per-address rate limits off: every client of a test shares 127.0.0.1. The per-user
// limits stay at their defaults.
const LocalTestLimits = "login-ip=off,register-ip=off,handshake-ip=off"

func Start(t testing.TB, opts Options) *Process {
	t.Helper()
	p, err := TryStart(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TryStart is Start returning the error instead of failing the test, so that several processes can be started
// from goroutines at once. The process (if it started) is stopped when t ends, as with Start.
func TryStart(t testing.TB, opts Options) (*Process, error) {
	t.Helper()
	p := &Process{Addr: opts.Addr, Name: opts.Name, t: t, env: opts.Env, stopSig: syscall.SIGTERM, timeout: 30 * time.Second,
		bin: opts.Path}
	if p.Addr == "" {
		p.Addr = FreeAddr(t)
	}
	if p.Name == "" {
		p.Name = "scalechat"
	}
	if opts.ReadyTimeout > 0 {
		p.timeout = opts.ReadyTimeout
	}
	p.BaseURL = "http://" + p.Addr
	p.args = append([]string{"serve", "--addr", p.Addr}, opts.Args...)
	return p, p.launch()
}

// Command describes a program other than scalechat for Exec: a broker, a database server.
type Command struct {
	Name string   // what logs and errors call it (default: the program's base name)
	Path string   // the program
	Args []string // its arguments, as they are
	Env  []string // extra environment variables
	// Addr is the host:port the program listens on; Process.Addr reports it (BaseURL stays empty).
	Addr string
	// Ready is polled (every 50 ms, each call bounded to 2 s) until it returns nil after each start; nil
	// means "Addr accepts TCP connections".
	Ready func(ctx context.Context) error
	// ReadyTimeout bounds the wait for Ready after each start (default 30 s).
	ReadyTimeout time.Duration
	// StopSignal asks the program to exit gracefully (default SIGTERM; PostgreSQL's fast shutdown is SIGINT).
	StopSignal os.Signal
	// User runs the program as this system user instead of the test's (PostgreSQL refuses root).
	User string
	// Dir is the working directory (default: the test's).
	Dir string
}

// Exec runs c like Start runs scalechat: in a process group of its own (Kill ends the whole group), stopped
// when the test ends, its output kept across restarts and printed if the test failed.
func Exec(t testing.TB, c Command) *Process {
	t.Helper()
	p, err := TryExec(t, c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TryExec is Exec returning the error instead of failing the test.
func TryExec(t testing.TB, c Command) (*Process, error) {
	t.Helper()
	p := &Process{Addr: c.Addr, Name: c.Name, t: t, env: c.Env, path: c.Path, args: c.Args, stopSig: c.StopSignal,
		timeout: c.ReadyTimeout, dir: c.Dir}
	if p.Name == "" {
		p.Name = filepath.Base(c.Path)
	}
	if p.stopSig == nil {
		p.stopSig = syscall.SIGTERM
	}
	if p.timeout <= 0 {
		p.timeout = 30 * time.Second
	}
	p.ready = c.Ready
	if p.ready == nil {
		p.ready = func(ctx context.Context) error {
			conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.Addr)
			if err == nil {
				_ = conn.Close()
			}
			return err
		}
	}
	if c.User != "" {
		cred, err := lookupCredential(c.User)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		p.cred = cred
	}
	return p, p.launch()
}

// launch starts the process for the first time and registers its cleanup.
func (p *Process) launch() error {
	p.logs = &syncBuffer{}
	p.t.Cleanup(func() {
		p.Stop()
		if p.t.Failed() {
			p.t.Logf("%s %v log:\n%s", p.Name, p.args, p.Logs())
		}
	})
	return p.start()
}

func (p *Process) start() error {
	path := p.path
	if path == "" {
		path = p.bin
	}
	if path == "" {
		path = Binary(p.t)
	}
	p.starts++
	if p.starts > 1 {
		fmt.Fprintf(p.logs, "----- harness: start #%d at %s -----\n", p.starts, time.Now().Format(time.RFC3339Nano))
	}
	cmd := exec.Command(path, p.args...)
	cmd.Env = os.Environ()
	if p.path == "" {
		// Every test client comes from 127.0.0.1: the per-address limits would count a whole suite as one
		// client. Tests of those limits set SCALECHAT_RATE_LIMITS (or --rate-limits) themselves.
		cmd.Env = append(cmd.Env, "SCALECHAT_PASSWORD_MEMORY_KIB=1024", "SCALECHAT_RATE_LIMITS="+LocalTestLimits)
	}
	cmd.Env = append(cmd.Env, p.env...)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.Dir = p.dir
	if p.path != "" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	if err := p.waitReady(p.timeout); err != nil {
		return fmt.Errorf("%s (%s) did not become ready: %w (its log is printed when the test ends)", p.Name, p.Addr, err)
	}
	return nil
}

func (p *Process) waitReady(timeout time.Duration) error {
	cmd, done := p.run()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("process exited: %v", cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if p.ready != nil {
			last = p.ready(ctx)
		} else {
			last = readyz(ctx, p.BaseURL)
		}
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s: %v", timeout, last)
}

// readyz requires GET /readyz to answer 200.
func readyz(ctx context.Context, baseURL string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("/readyz answered %d: %s", resp.StatusCode, b)
	}
	return nil
}

// WaitReady waits up to timeout until the running process is ready again (scalechat: /readyz answers 200),
// for instance after one of its dependencies restarted.
func (p *Process) WaitReady(timeout time.Duration) error { return p.waitReady(timeout) }

// Running reports whether the process is running.
func (p *Process) Running() bool {
	cmd, done := p.run()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Stop asks the process to exit (SIGTERM, or the Command's StopSignal) and waits (SIGKILL after 15 s).
// Stopping twice is harmless.
func (p *Process) Stop() {
	cmd, done := p.run()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(p.stopSig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.kill(cmd)
		<-done
	}
}

// Kill ends the process with SIGKILL, as a crash would (programs started with Exec: their whole process group).
// Killing a stopped process is harmless.
func (p *Process) Kill() {
	cmd, done := p.run()
	if cmd == nil {
		return
	}
	p.kill(cmd)
	<-done
}

func (p *Process) kill(cmd *exec.Cmd) {
	if p.path != "" {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	_ = cmd.Process.Kill()
}

// Restart starts the process again with the same arguments and address (after Stop or Kill; a running process
// is stopped first). It fails the test that started the process; from another test (a subtest) or goroutine,
// use TryRestart.
func (p *Process) Restart() {
	p.t.Helper()
	if err := p.TryRestart(); err != nil {
		p.t.Fatal(err)
	}
}

// TryRestart is Restart returning the error instead of failing a test.
func (p *Process) TryRestart() error {
	p.Stop()
	return p.start()
}

// Signal sends sig to the process (SIGSTOP/SIGCONT freeze and thaw it).
func (p *Process) Signal(sig os.Signal) error {
	cmd, _ := p.run()
	return cmd.Process.Signal(sig)
}

// Pid is the process id of the current run.
func (p *Process) Pid() int {
	cmd, _ := p.run()
	return cmd.Process.Pid
}

// ExitCode is the exit code of a stopped process (-1 while running).
func (p *Process) ExitCode() int {
	cmd, done := p.run()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Logs returns what the process printed so far, over all its runs.
func (p *Process) Logs() string { return p.logs.String() }

// syncBuffer is a bytes.Buffer safe for the concurrent writes of stdout and stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lookupCredential returns the uid and gid of a system user.
func lookupCredential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
