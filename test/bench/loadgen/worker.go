package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
)

// Worker is the state of one load-generator process.
type Worker struct {
	id int

	omu sync.Mutex // one line at a time on out
	out *bufio.Writer

	mu      sync.Mutex
	groups  map[string][]*sock
	steps   map[uint32]*sendStep
	nextKey int
	base    counts // step counters summed when the step was armed
	retired Stats  // totals of closed groups

	tag   atomic.Uint32 // the armed step
	until atomic.Int64  // its deadline, Unix ns
	lat   [2]*hist.Sharded

	connected    atomic.Int64
	serverClosed atomic.Uint64
	sent         atomic.Uint64
	acked        atomic.Uint64
	lateAcks     atomic.Uint64
}

// Serve runs a worker: it reads commands from in until in ends (the coordinator went away) or ctx is done,
// runs each on its own goroutine, and writes replies and a Stats line every second to out.
func Serve(ctx context.Context, id int, in io.Reader, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &Worker{id: id, out: bufio.NewWriter(out), groups: map[string][]*sock{}, steps: map[uint32]*sendStep{}}
	w.lat[0], w.lat[1] = hist.NewSharded(16), hist.NewSharded(16)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.report(ctx) }()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var cmd Command
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			w.write(Reply{Err: "bad command: " + err.Error()})
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.handle(ctx, cmd) }()
	}
	cancel()
	w.closeAll()
	wg.Wait()
	return sc.Err()
}

// handle runs one command and writes its reply.
func (w *Worker) handle(ctx context.Context, cmd Command) {
	var out any
	var err error
	switch cmd.Op {
	case OpConnect:
		var a ConnectArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			out, err = w.connect(ctx, a)
		}
	case OpArm:
		var a ArmArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			out = w.arm(a)
		}
	case OpSend:
		var a SendArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			err = w.send(ctx, a)
		}
	case OpReschedule:
		var a RescheduleArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			w.reschedule(a)
		}
	case OpCollect:
		var a CollectArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			out = w.collect(ctx, a)
		}
	case OpDrop:
		var a GroupArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			w.drop(w.group(a.Group))
		}
	case OpResume:
		var a ResumeArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			out, err = w.resume(ctx, a)
		}
	case OpClose:
		var a GroupArgs
		if err = json.Unmarshal(cmd.Args, &a); err == nil {
			w.closeGroup(a.Group)
		}
	default:
		err = fmt.Errorf("unknown op %q", cmd.Op)
	}
	r := Reply{ID: cmd.ID}
	if err != nil {
		r.Err = err.Error()
	} else if out != nil {
		r.Data, err = json.Marshal(out)
		if err != nil {
			r.Err = err.Error()
		}
	}
	w.write(r)
}

func (w *Worker) write(r Reply) {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Reply{ID: r.ID, Err: err.Error()})
	}
	w.omu.Lock()
	defer w.omu.Unlock()
	_, _ = w.out.Write(append(b, '\n'))
	_ = w.out.Flush()
}

// report writes Stats every second.
func (w *Worker) report(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st := w.stats()
			w.write(Reply{Stats: &st})
		}
	}
}

// stats sums the per-socket counters.
func (w *Worker) stats() Stats {
	w.mu.Lock()
	st := w.retired
	for _, g := range w.groups {
		for _, s := range g {
			st.Deliveries += s.deliveries.Load()
			st.Frames += s.frames.Load()
		}
	}
	w.mu.Unlock()
	st.Connected = w.connected.Load()
	st.Sent, st.Acked, st.ServerClosed = w.sent.Load(), w.acked.Load(), w.serverClosed.Load()
	return st
}

// group returns a snapshot of a group's sockets.
func (w *Worker) group(name string) []*sock {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*sock(nil), w.groups[name]...)
}

// allSocks returns every socket; the caller holds w.mu.
func (w *Worker) allSocksLocked() []*sock {
	var out []*sock
	for _, g := range w.groups {
		out = append(out, g...)
	}
	return out
}

// arm starts a step: its live counters and histogram slot are emptied before the tag is published, and
// nothing carries the tag until the coordinator starts sending after this returns.
func (w *Worker) arm(a ArmArgs) Totals {
	w.mu.Lock()
	defer w.mu.Unlock()
	var base counts
	for _, s := range w.allSocksLocked() {
		s.live[a.Tag&3].Store(0)
		c := s.counts()
		base.late += c.late
		base.other += c.other
		base.dups += c.dups
		base.gaps += c.gaps
	}
	w.lat[a.Tag&1].Reset()
	w.base = base
	w.until.Store(a.UntilNs)
	w.tag.Store(a.Tag)
	return w.totals()
}

func (w *Worker) totals() Totals {
	return Totals{ServerClosed: w.serverClosed.Load(), LateAcks: w.lateAcks.Load()}
}

// send starts a step's sending in the background.
func (w *Worker) send(ctx context.Context, a SendArgs) error {
	st := &sendStep{args: a, done: make(chan struct{})}
	st.end.Store(a.StartNs + int64(a.DurationMs)*int64(time.Millisecond))
	st.res.PerSender = make([]int, len(a.Senders))
	w.mu.Lock()
	for _, snd := range a.Senders {
		g := w.groups[snd.Group]
		if snd.Index < 0 || snd.Index >= len(g) {
			w.mu.Unlock()
			return fmt.Errorf("sender %s[%d]: no such socket", snd.Group, snd.Index)
		}
		st.socks = append(st.socks, g[snd.Index])
	}
	if _, dup := w.steps[a.Tag]; dup {
		w.mu.Unlock()
		return fmt.Errorf("step %d is sending already", a.Tag)
	}
	w.steps[a.Tag] = st
	w.mu.Unlock()
	go w.runSend(ctx, st)
	return nil
}

// reschedule shortens a step's sending and moves its deadline.
func (w *Worker) reschedule(a RescheduleArgs) {
	w.mu.Lock()
	st := w.steps[a.Tag]
	w.mu.Unlock()
	if st != nil {
		for end := st.end.Load(); a.EndNs < end && !st.end.CompareAndSwap(end, a.EndNs); end = st.end.Load() {
		}
	}
	if w.tag.Load() == a.Tag {
		w.until.Store(a.UntilNs)
	}
}

// collect waits for the step's sending and acks (bounded), then reports the step.
func (w *Worker) collect(ctx context.Context, a CollectArgs) CollectResult {
	w.mu.Lock()
	st := w.steps[a.Tag]
	delete(w.steps, a.Tag)
	w.mu.Unlock()
	var out CollectResult
	if st != nil {
		t := time.NewTimer(time.Duration(a.TimeoutMs) * time.Millisecond)
		select {
		case <-st.done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		r := st.result()
		out.Send = &r
	}
	w.mu.Lock()
	var now counts
	d := &out.Deliveries
	for _, s := range w.allSocksLocked() {
		d.Live += s.live[a.Tag&3].Load()
		c := s.counts()
		now.late += c.late
		now.other += c.other
		now.dups += c.dups
		now.gaps += c.gaps
		if n := int(s.frameLen.Load()); n > d.FrameLen {
			d.FrameLen = n
		}
	}
	d.Late, d.Other = now.late-w.base.late, now.other-w.base.other
	d.Dups, d.Gaps = now.dups-w.base.dups, now.gaps-w.base.gaps
	w.mu.Unlock()
	d.Latency = *w.lat[a.Tag&1].Snapshot()
	out.Totals = w.totals()
	return out
}

// closeGroup closes a group's connections and forgets it, keeping its totals.
func (w *Worker) closeGroup(name string) {
	socks := w.group(name)
	w.drop(socks)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.groups[name] {
		w.retired.Deliveries += s.deliveries.Load()
		w.retired.Frames += s.frames.Load()
	}
	delete(w.groups, name)
}

func (w *Worker) closeAll() {
	w.mu.Lock()
	names := make([]string, 0, len(w.groups))
	for n := range w.groups {
		names = append(names, n)
	}
	w.mu.Unlock()
	for _, n := range names {
		w.closeGroup(n)
	}
}
