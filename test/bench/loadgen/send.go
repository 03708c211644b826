package loadgen

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/sio"
)

// sendStep is one step's sending on this worker, and the acks it waits for.
type sendStep struct {
	args  SendArgs
	socks []*sock      // args.Senders, resolved
	end   atomic.Int64 // when sending stops, Unix ns (OpReschedule may bring it forward)

	mu          sync.Mutex
	res         SendResult
	ackLat      hist.H
	pending     int
	sendingDone bool
	done        chan struct{} // closed once sending ended and no ack is pending
	closed      bool
}

// acked settles one message (code "" means {ok:true}).
func (st *sendStep) acked(p pendingAck, code string, accepted bool, latency int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pending--
	if code == "" {
		st.res.OK++
		st.res.PerSender[p.sender]++
		if accepted {
			st.res.Accepted++
		}
		st.ackLat.Record(latency)
	} else {
		st.res.Errors++
		if st.res.Codes == nil {
			st.res.Codes = map[string]int{}
		}
		st.res.Codes[code]++
	}
	st.maybeDoneLocked()
}

func (st *sendStep) maybeDoneLocked() {
	if st.sendingDone && st.pending == 0 && !st.closed {
		st.closed = true
		close(st.done)
	}
}

// result is the step's figures so far.
func (st *sendStep) result() SendResult {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := st.res
	r.PerSender = append([]int(nil), st.res.PerSender...)
	r.AckLatency = st.ackLat
	return r
}

// run sends on schedule, then waits for the acks, expiring those older than the ack timeout.
func (w *Worker) runSend(ctx context.Context, st *sendStep) {
	a := st.args
	ackTimeout := time.Duration(a.AckTimeoutMs) * time.Millisecond
	sweepDone := make(chan struct{})
	go func() { defer close(sweepDone); w.sweep(ctx, st, ackTimeout) }()
	w.pace(ctx, st)
	st.mu.Lock()
	st.sendingDone = true
	st.maybeDoneLocked()
	st.mu.Unlock()
	<-sweepDone
}

// pace sends messages at the step's rate from its start time, open loop: a message is due at start + n/rate
// whatever happened to the earlier ones, and when sending falls behind (a busy machine) it catches up at
// once and records how far behind it was.
func (w *Worker) pace(ctx context.Context, st *sendStep) {
	a := st.args
	if a.Rate <= 0 || len(st.socks) == 0 {
		return
	}
	start := time.Unix(0, a.StartNs)
	if !sleepUntil(ctx, start) {
		return
	}
	rng := rand.New(rand.NewPCG(uint64(a.StartNs), uint64(w.id)))
	var body, frame []byte
	tmpl := sio.SampleTemplate()
	n := 0
	var lagMax int64
	for ctx.Err() == nil {
		now := time.Now()
		if now.UnixNano() >= st.end.Load() {
			return
		}
		el := now.Sub(start)
		due := int(math.Floor(el.Seconds()*a.Rate-a.Phase)) + 1 // messages whose time has come
		for ; n < due; n++ {
			sched := start.Add(time.Duration((float64(n) + a.Phase) / a.Rate * float64(time.Second)))
			if lag := now.Sub(sched).Nanoseconds(); lag > lagMax {
				lagMax = lag
				st.mu.Lock()
				st.res.LagMaxNs = lag
				st.mu.Unlock()
			}
			i := n % len(st.socks)
			if a.Random {
				i = rng.IntN(len(st.socks))
			}
			body = sio.AppendBody(body[:0], time.Now(), a.Tag, a.BodySize)
			if a.Raw {
				frame = sio.AppendEventFrame(frame[:0], tmpl, body)
				w.sendRaw(st, i, frame)
			} else {
				w.sendOne(st, i, n, body)
			}
		}
		next := start.Add(time.Duration((float64(n) + a.Phase) / a.Rate * float64(time.Second)))
		if end := time.Unix(0, st.end.Load()); next.After(end) {
			next = end
		}
		if !sleepUntil(ctx, next) {
			return
		}
	}
}

// sendOne emits one message:send, registering its ack first (an ack can come back before Send returns).
func (w *Worker) sendOne(st *sendStep, i, n int, body []byte) {
	s, snd := st.socks[i], st.args.Senders[i]
	c := s.conn.Load()
	st.mu.Lock()
	st.res.Sent++
	if c == nil {
		st.res.WriteErrors++
		st.mu.Unlock()
		return
	}
	st.pending++
	st.mu.Unlock()
	w.sent.Add(1)
	id := c.NextID()
	s.amu.Lock()
	if s.pending == nil {
		s.pending = map[uint64]pendingAck{}
	}
	s.pending[id] = pendingAck{sent: time.Now().UnixNano(), step: st, sender: i}
	s.amu.Unlock()
	cmid := "t" + strconv.FormatUint(uint64(st.args.Tag), 10) + "w" + strconv.Itoa(w.id) + "n" + strconv.Itoa(n)
	if err := c.Send(id, snd.Conv, cmid, body); err != nil {
		s.amu.Lock()
		_, still := s.pending[id]
		delete(s.pending, id)
		s.amu.Unlock()
		st.mu.Lock()
		st.res.WriteErrors++
		if still {
			st.pending--
		}
		st.mu.Unlock()
	}
}

// sendRaw writes one event frame to the baseline server; it has no acks, so a written frame counts as acked.
func (w *Worker) sendRaw(st *sendStep, i int, frame []byte) {
	c := st.socks[i].conn.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.res.Sent++
	if c == nil || c.WriteText(frame) != nil {
		st.res.WriteErrors++
		return
	}
	w.sent.Add(1)
	st.res.OK++
	st.res.PerSender[i]++
}

// sweep expires acks older than timeout until the step is done.
func (w *Worker) sweep(ctx context.Context, st *sendStep, timeout time.Duration) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-st.done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cutoff := time.Now().Add(-timeout).UnixNano()
		expired := 0
		seen := map[*sock]bool{}
		for _, s := range st.socks {
			if seen[s] {
				continue
			}
			seen[s] = true
			s.amu.Lock()
			for id, p := range s.pending {
				if p.step == st && p.sent < cutoff {
					delete(s.pending, id)
					expired++
				}
			}
			s.amu.Unlock()
		}
		if expired > 0 {
			st.mu.Lock()
			st.res.Timeouts += expired
			st.pending -= expired
			st.maybeDoneLocked()
			st.mu.Unlock()
		}
	}
}

// sleepUntil sleeps until t or ctx ends; false when ctx ended.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
