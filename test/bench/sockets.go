package main

import (
	"context"
	"fmt"
	"time"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/loadgen"
)

// Socket placement: socket i of a group lives on worker i mod W at index i div W there. Every group is
// connected in that order (batches included), so both sides agree on where a socket is without asking.

// where returns the worker and the index in that worker's group of socket i.
func (p *pool) where(i int) (worker, index int) { return i % len(p.ws), i / len(p.ws) }

// connected is the outcome of connecting a group of sockets.
type connected struct {
	Requested int              `json:"requested"`
	Connected int              `json:"connected"`
	Failed    loadgen.Failures `json:"failed"`
	WallS     float64          `json:"wallS"` // from the first dial to the last CONNECT ack, over all workers
	P50Ms     float64          `json:"p50Ms"` // dial → CONNECT ack, per socket
	P99Ms     float64          `json:"p99Ms"`
	Latency   hist.H           `json:"-"`
	failedAt  map[int]bool     // global indices of sockets that did not connect
}

// connectTimeout bounds a batch: generous, since thousands of handshakes queue on two cores.
func connectTimeout(n int) time.Duration {
	return 30*time.Second + time.Duration(n)*10*time.Millisecond
}

// connect opens sockets first..first+len(socks)-1 of a group, spread over the workers, each worker from a
// fresh source address.
// connectAll connects a scenario's sockets (checking delivery seqs), fails when none connected, and waits for
// the target to settle.
func (b *bench) connectAll(ctx context.Context, t *target, label string, raw bool, socks []loadgen.Socket) (*connected, error) {
	b.prog.set(t.name, label, "connecting", 0, 0)
	c, err := b.connect(ctx, label, raw, true, 0, socks)
	if err != nil {
		return nil, err
	}
	if c.Connected == 0 {
		return c, fmt.Errorf("no socket connected: %s", c.Failed.First)
	}
	b.settle(ctx, t)
	return c, nil
}

func (b *bench) connect(ctx context.Context, group string, raw, checkSeq bool, first int, socks []loadgen.Socket) (*connected, error) {
	if per := (first + len(socks) + len(b.pool.ws) - 1) / len(b.pool.ws); per > maxSocketsPerWorker {
		return nil, fmt.Errorf("%d sockets need more than %d workers (--workers)", first+len(socks), len(b.pool.ws))
	}
	parts := make([][]loadgen.Socket, len(b.pool.ws))
	global := make([][]int, len(b.pool.ws))
	for k, s := range socks {
		w, _ := b.pool.where(first + k)
		parts[w] = append(parts[w], s)
		global[w] = append(global[w], first+k)
	}
	timeout := connectTimeout(len(socks))
	res := make([]loadgen.ConnectResult, len(b.pool.ws))
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second)
	defer cancel()
	err := b.pool.each(cctx, loadgen.OpConnect, func(w int) any {
		if len(parts[w]) == 0 {
			return nil
		}
		return loadgen.ConnectArgs{Group: group, Raw: raw, Sockets: parts[w], Source: b.pool.source(),
			Concurrency: b.cfg.sizes.ConnectPerWork, TimeoutMs: int(timeout.Milliseconds()), CheckSeq: checkSeq}
	}, func(w int) any { return &res[w] })
	if err != nil {
		return nil, err
	}
	out := &connected{Requested: len(socks), WallS: time.Since(start).Seconds(), failedAt: map[int]bool{}}
	for w, r := range res {
		out.Connected += r.Connected
		out.Failed.Add(r.Failed)
		out.Latency.Merge(&r.Latency)
		for _, li := range r.FailedIdx {
			if li >= 0 && li < len(global[w]) {
				out.failedAt[global[w][li]] = true
			}
		}
	}
	out.P50Ms, out.P99Ms = ms(out.Latency.Quantile(0.5)), ms(out.Latency.Quantile(0.99))
	return out, nil
}

// closeGroup closes a group on every worker. The server turns those users offline a presence grace later,
// and tells their conversations: settle waits for that before anything else is measured.
func (b *bench) closeGroup(ctx context.Context, group string) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = b.pool.each(cctx, loadgen.OpClose, func(int) any { return loadgen.GroupArgs{Group: group} }, nil)
	b.quietAt.Store(time.Now().Add(b.cfg.sizes.PresenceGrace + 250*time.Millisecond).UnixNano())
}
