// Package harness starts the real scalechat binary as separate processes for end-to-end tests.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds bin/scalechat once per test process (into a temporary directory) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "scalechat-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "scalechat")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-race", "-o", binPath, ".")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building scalechat: %v", buildErr)
	}
	return binPath
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Process is a running scalechat process.
type Process struct {
	Addr    string // host:port it listens on
	BaseURL string // http://Addr
	args    []string
	env     []string
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan struct{}
	t       testing.TB
}

// Options configure a process.
type Options struct {
	Args []string // after "serve"; --addr is added
	Env  []string // extra environment variables
}

// Start runs `scalechat serve` with opts on a free port and waits until /readyz answers 200.
// The process is stopped (SIGTERM, then SIGKILL) when the test ends; its log is printed if the test failed.
func Start(t testing.TB, opts Options) *Process {
	t.Helper()
	p := &Process{Addr: FreeAddr(t), t: t, env: opts.Env}
	p.BaseURL = "http://" + p.Addr
	p.args = append([]string{"serve", "--addr", p.Addr}, opts.Args...)
	p.start()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("scalechat %v log:\n%s", p.args, p.Logs())
		}
	})
	return p
}

func (p *Process) start() {
	p.t.Helper()
	p.logs = &syncBuffer{}
	p.cmd = exec.Command(Binary(p.t), p.args...)
	p.cmd.Env = append(append(os.Environ(), "SCALECHAT_PASSWORD_MEMORY_KIB=1024"), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("starting scalechat: %v", err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	if err := p.waitReady(30 * time.Second); err != nil {
		p.t.Fatalf("scalechat did not become ready: %v\n%s", err, p.Logs())
	}
}

func (p *Process) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("process exited: %v", p.cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s", timeout)
}

// Stop sends SIGTERM and waits for a graceful exit (SIGKILL after 15 s). Stopping twice is harmless.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill ends the process with SIGKILL, as a crash would.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Restart starts the process again with the same arguments and address (after Stop or Kill).
func (p *Process) Restart() {
	p.t.Helper()
	p.Stop()
	p.start()
}

// ExitCode is the exit code of a stopped process (-1 while running).
func (p *Process) ExitCode() int {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Logs returns what the process printed so far.
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
