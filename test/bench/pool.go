package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scalechat/scalechat/test/bench/loadgen"
	"github.com/scalechat/scalechat/test/bench/probe"
)

// maxSocketsPerWorker keeps each load-generator process well under the 20,000 open files a process may hold.
const maxSocketsPerWorker = 9000

// pool is the coordinator's side of the load-generator processes.
type pool struct {
	ws      []*workerProc
	ids     atomic.Int64
	sources atomic.Int64 // source addresses handed out so far
}

// workerProc is one load-generator process.
type workerProc struct {
	idx   int
	cmd   *exec.Cmd
	wmu   sync.Mutex
	stdin io.WriteCloser

	mu      sync.Mutex
	waiting map[int64]chan loadgen.Reply
	stats   loadgen.Stats
	err     error         // why it ended
	done    chan struct{} // closed when its stdout ends
}

// startPool starts n workers (this binary, subcommand worker), each told to exit at the deadline.
func startPool(n int, deadline time.Time) (*pool, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	p := &pool{}
	for i := range n {
		cmd := exec.Command(self, "worker", "--id", strconv.Itoa(i), "--deadline", strconv.FormatInt(deadline.Unix()+30, 10))
		cmd.Stderr = os.Stderr
		// One P per worker: a socket's reading goroutine is woken by the netpoller of the thread that polls, and
		// with a single P that is the thread that runs it, without waking another. Several workers give the
		// parallelism. (BENCH_WORKER_GOMAXPROCS overrides it, for measuring the generator itself.)
		procs := os.Getenv("BENCH_WORKER_GOMAXPROCS")
		if procs == "" {
			procs = "1"
		}
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the coordinator
		stdin, err := cmd.StdinPipe()
		if err != nil {
			p.close()
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			p.close()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			p.close()
			return nil, fmt.Errorf("starting load-generator worker: %w", err)
		}
		w := &workerProc{idx: i, cmd: cmd, stdin: stdin, waiting: map[int64]chan loadgen.Reply{}, done: make(chan struct{})}
		p.ws = append(p.ws, w)
		go w.read(stdout)
	}
	return p, nil
}

// read dispatches a worker's output lines: replies to their callers, stats to the latest snapshot.
func (w *workerProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var rep loadgen.Reply
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			fmt.Fprintf(os.Stderr, "bench: worker %d: bad line: %v\n", w.idx, err)
			continue
		}
		w.mu.Lock()
		if rep.Stats != nil {
			w.stats = *rep.Stats
		} else if ch, ok := w.waiting[rep.ID]; ok {
			delete(w.waiting, rep.ID)
			ch <- rep
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	w.err = fmt.Errorf("load-generator worker %d exited", w.idx)
	if sc.Err() != nil {
		w.err = fmt.Errorf("load-generator worker %d: %w", w.idx, sc.Err())
	}
	w.mu.Unlock()
	close(w.done)
}

// call sends a command to worker i and waits for its reply (bounded by ctx), decoding the data into out.
func (p *pool) call(ctx context.Context, i int, op string, args, out any) error {
	w := p.ws[i]
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	id := p.ids.Add(1)
	line, _ := json.Marshal(loadgen.Command{ID: id, Op: op, Args: raw})
	ch := make(chan loadgen.Reply, 1)
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return w.err
	}
	w.waiting[id] = ch
	w.mu.Unlock()
	forget := func() {
		w.mu.Lock()
		delete(w.waiting, id)
		w.mu.Unlock()
	}
	w.wmu.Lock()
	_, err = w.stdin.Write(append(line, '\n'))
	w.wmu.Unlock()
	if err != nil {
		forget()
		return fmt.Errorf("worker %d: %w", i, err)
	}
	select {
	case rep := <-ch:
		if rep.Err != "" {
			return fmt.Errorf("worker %d %s: %s", i, op, rep.Err)
		}
		if out != nil && len(rep.Data) > 0 {
			return json.Unmarshal(rep.Data, out)
		}
		return nil
	case <-w.done:
		forget()
		return w.err
	case <-ctx.Done():
		forget()
		return fmt.Errorf("worker %d %s: %w", i, op, ctx.Err())
	}
}

// each runs a command on every worker at once; args(i) gives worker i's arguments (nil: skip that worker)
// and out(i) where its reply goes (nil: discard).
func (p *pool) each(ctx context.Context, op string, args func(i int) any, out func(i int) any) error {
	errs := make([]error, len(p.ws))
	var wg sync.WaitGroup
	for i := range p.ws {
		a := args(i)
		if a == nil {
			continue
		}
		var o any
		if out != nil {
			o = out(i)
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = p.call(ctx, i, op, a, o) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stats sums the workers' latest reports.
func (p *pool) stats() loadgen.Stats {
	var s loadgen.Stats
	for _, w := range p.ws {
		w.mu.Lock()
		st := w.stats
		w.mu.Unlock()
		s.Connected += st.Connected
		s.Deliveries += st.Deliveries
		s.Frames += st.Frames
		s.Sent += st.Sent
		s.Acked += st.Acked
		s.ServerClosed += st.ServerClosed
	}
	return s
}

// cpu is the CPU time used so far by the generator: the workers and this process.
func (p *pool) cpu() time.Duration {
	total, _ := probe.CPU(os.Getpid())
	for _, w := range p.ws {
		if w.cmd.Process != nil {
			c, _ := probe.CPU(w.cmd.Process.Pid)
			total += c
		}
	}
	return total
}

// source returns a source address not handed out before in this run, so that no (source, destination) pair
// runs out of ephemeral ports, however many sockets earlier scenarios left in TIME_WAIT.
func (p *pool) source() string {
	n := p.sources.Add(1) - 1
	return fmt.Sprintf("127.0.%d.%d", 1+n/250, 2+n%250)
}

// close ends the workers: their stdin closes (they close their sockets and exit), then a kill after a grace.
func (p *pool) close() {
	for _, w := range p.ws {
		_ = w.stdin.Close()
	}
	for _, w := range p.ws {
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			_ = w.cmd.Process.Kill()
		}
		_ = w.cmd.Wait()
	}
}
