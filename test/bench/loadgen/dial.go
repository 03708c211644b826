package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/scalechat/scalechat/test/bench/sio"
)

// maxCloseWait bounds how long dropping a group waits for its reading goroutines to end.
const maxCloseWait = 10 * time.Second

// source parses a source address, which must be loopback (the bench never leaves this machine).
func source(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, err
	}
	if !sio.IsLoopback(a) {
		return a, fmt.Errorf("source %s is not a loopback address", s)
	}
	return a, nil
}

// dial opens s's connection; the caller has made sure no other connection of s is open.
func (w *Worker) dial(ctx context.Context, s *sock, src netip.Addr) (*sio.Conn, error) {
	mode := sio.SocketIO
	if s.raw {
		mode = sio.Raw
	}
	// A new connection starts a new seq history: what it receives is not compared with the last one's.
	s.lastConvLen, s.lastSeq = 0, 0
	w.connected.Add(1) // before the read loop can end and take it back
	c, err := sio.Dial(ctx, sio.Options{URL: s.target.URL, Token: s.target.Token, Mode: mode, LocalIP: src, Handler: s})
	if err != nil {
		w.connected.Add(-1)
		return nil, err
	}
	s.conn.Store(c)
	return c, nil
}

// classify files a failed dial under its kind.
func classify(f *Failures, err error) {
	if f.First == "" {
		f.First = err.Error()
	}
	var ce *sio.ConnectError
	var se *sio.Error
	switch {
	case errors.As(err, &ce):
		f.ConnectError++
		if f.Codes == nil {
			f.Codes = map[string]int{}
		}
		f.Codes[ce.Code]++
	case sio.IsTimeout(err):
		f.Timeout++
	case errors.As(err, &se) && se.Stage == "dial":
		f.Dial++
	default:
		f.Handshake++
	}
}

// connect opens a batch of sockets with bounded concurrency, all within the batch's timeout.
func (w *Worker) connect(ctx context.Context, a ConnectArgs) (ConnectResult, error) {
	src, err := source(a.Source)
	if err != nil {
		return ConnectResult{}, err
	}
	for _, t := range a.Sockets {
		if _, _, err := sio.CheckLoopback(t.URL); err != nil {
			return ConnectResult{}, err
		}
	}
	socks := make([]*sock, len(a.Sockets))
	w.mu.Lock()
	for i, t := range a.Sockets {
		socks[i] = &sock{w: w, key: w.nextKey, target: t, raw: a.Raw, checkSeq: a.CheckSeq}
		w.nextKey++
	}
	w.groups[a.Group] = append(w.groups[a.Group], socks...)
	w.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, time.Duration(a.TimeoutMs)*time.Millisecond)
	defer cancel()
	var mu sync.Mutex
	var res ConnectResult
	start := time.Now()
	forEach(len(socks), a.Concurrency, func(i int) {
		t0 := time.Now()
		_, err := w.dial(ctx, socks[i], src)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			classify(&res.Failed, err)
			res.FailedIdx = append(res.FailedIdx, i)
			return
		}
		res.Connected++
		res.Latency.RecordDuration(time.Since(t0))
	})
	res.WallNs = time.Since(start).Nanoseconds()
	return res, nil
}

// drop closes the connections of socks at once, the way a network failure would, and waits (bounded) until
// their reading goroutines have ended.
func (w *Worker) drop(socks []*sock) {
	var conns []*sio.Conn
	for _, s := range socks {
		if c := s.conn.Swap(nil); c != nil {
			c.Close()
			conns = append(conns, c)
		}
	}
	deadline := time.NewTimer(maxCloseWait)
	defer deadline.Stop()
	for _, c := range conns {
		select {
		case <-c.Done():
		case <-deadline.C:
			return
		}
	}
}

// resume reconnects a group and syncs each socket, as clients do after losing their connection.
func (w *Worker) resume(ctx context.Context, a ResumeArgs) (ResumeResult, error) {
	src, err := source(a.Source)
	if err != nil {
		return ResumeResult{}, err
	}
	socks := w.group(a.Group)
	if len(a.SyncIdx) != len(socks) {
		return ResumeResult{}, fmt.Errorf("resume %s: %d sync entries for %d sockets", a.Group, len(a.SyncIdx), len(socks))
	}
	w.drop(socks) // any still open (normally none: the coordinator dropped them)
	ctx, cancel := context.WithDeadline(ctx, time.Unix(0, a.DeadlineNs))
	defer cancel()
	var mu sync.Mutex
	res := ResumeResult{Total: len(socks)}
	forEach(len(socks), a.Concurrency, func(i int) {
		t0 := time.Now()
		c, err := w.dial(ctx, socks[i], src)
		if err != nil {
			mu.Lock()
			classify(&res.Failed, err)
			res.FailedIdx = append(res.FailedIdx, i)
			mu.Unlock()
			return
		}
		t1 := time.Now()
		mu.Lock()
		res.ConnectLatency.RecordDuration(t1.Sub(t0))
		mu.Unlock()
		idx := a.SyncIdx[i]
		if idx < 0 || idx >= len(a.Sync) {
			mu.Lock()
			res.Resumed++
			res.LastNs = max(res.LastNs, time.Now().UnixNano())
			mu.Unlock()
			return
		}
		args, err := c.Call(ctx, "sync", []byte(a.Sync[idx]))
		code := ""
		if err == nil {
			var body []struct {
				OK    bool `json:"ok"`
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if json.Unmarshal(args, &body) != nil || len(body) == 0 {
				code = "malformed_ack"
			} else if !body[0].OK {
				code = body[0].Error.Code
			}
		}
		done := time.Now()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			res.SyncTimeouts++ // the deadline passed, or the socket closed before the ack
		case code != "":
			res.SyncErrors++
			if res.SyncCodes == nil {
				res.SyncCodes = map[string]int{}
			}
			res.SyncCodes[code]++
		default:
			res.SyncOK++
			res.Resumed++
			res.SyncLatency.RecordDuration(done.Sub(t1))
			res.LastNs = max(res.LastNs, done.UnixNano())
		}
	})
	return res, nil
}

// forEach calls fn(0..n-1) with at most conc calls at once.
func forEach(n, conc int, fn func(i int)) {
	if conc <= 0 {
		conc = 64
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}
