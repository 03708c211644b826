package hist

import "sync/atomic"

// shard is one set of atomic buckets. Padding keeps the counters of neighbouring shards off one cache line.
type shard struct {
	counts [NumBuckets]atomic.Uint64
	sum    atomic.Int64
	min    atomic.Int64 // math.MaxInt64 when empty
	max    atomic.Int64
	_      [64]byte
}

// Sharded is a histogram that many goroutines record into at once without locks: each caller names a shard
// (the bench uses the socket's index), so that concurrent adds rarely touch the same cache line. Snapshot
// merges the shards into an H.
type Sharded struct {
	shards []shard
}

// NewSharded returns a sharded histogram with n shards (at least 1).
func NewSharded(n int) *Sharded {
	s := &Sharded{shards: make([]shard, max(n, 1))}
	s.Reset()
	return s
}

// Record adds v to the shard chosen by key (any non-negative number; it is reduced modulo the shard count).
func (s *Sharded) Record(key int, v int64) {
	if v < 0 {
		v = 0
	}
	if v > maxValue {
		v = maxValue
	}
	sh := &s.shards[key%len(s.shards)]
	sh.counts[index(v)].Add(1)
	sh.sum.Add(v)
	for m := sh.min.Load(); v < m && !sh.min.CompareAndSwap(m, v); m = sh.min.Load() {
	}
	for m := sh.max.Load(); v > m && !sh.max.CompareAndSwap(m, v); m = sh.max.Load() {
	}
}

// Reset empties every shard. Values recorded while it runs may or may not survive it.
func (s *Sharded) Reset() {
	for i := range s.shards {
		sh := &s.shards[i]
		for j := range sh.counts {
			sh.counts[j].Store(0)
		}
		sh.sum.Store(0)
		sh.min.Store(1<<63 - 1)
		sh.max.Store(0)
	}
}

// Snapshot returns the values recorded so far as a plain histogram.
func (s *Sharded) Snapshot() *H {
	h := &H{}
	for i := range s.shards {
		sh := &s.shards[i]
		var n uint64
		for j := range sh.counts {
			if c := sh.counts[j].Load(); c > 0 {
				if h.counts == nil {
					h.counts = make([]uint64, NumBuckets)
				}
				h.counts[j] += c
				n += c
			}
		}
		if n == 0 {
			continue
		}
		if mn := sh.min.Load(); h.n == 0 || mn < h.min {
			h.min = mn
		}
		if mx := sh.max.Load(); mx > h.max {
			h.max = mx
		}
		h.n += n
		h.sum += float64(sh.sum.Load())
	}
	return h
}
