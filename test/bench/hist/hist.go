// Package hist is a log-bucketed histogram of non-negative integers (latencies in nanoseconds): 64 linear
// sub-buckets per power of two, so a quantile read at a bucket's midpoint is within 1/128 (0.8%) of the true
// value. Histograms merge by adding counts, which is how the bench combines its load-generator processes; they
// travel between processes as sparse JSON.
//
// H is the plain histogram (one goroutine at a time). Sharded records concurrently with atomic adds on
// per-shard buckets, for the load generator's read loops: no lock and no allocation per value.
package hist

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"time"
)

const (
	subBits = 6
	sub     = 1 << subBits // linear sub-buckets per power of two
	// maxValue is the largest value kept apart; bigger ones are clamped to it (about 18 minutes in ns).
	maxValue = 1<<40 - 1
	// NumBuckets is the number of buckets of every histogram.
	NumBuckets = sub * (40 - subBits + 1) // index(maxValue)+1
)

// index is the bucket of v: v itself below 64, then 64 buckets per power of two.
func index(v int64) int {
	if v < sub {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	if v > maxValue {
		v = maxValue
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // v>>e is in [64, 128)
	return e*sub + int(v>>e)
}

// bounds returns the smallest value of bucket i and its width.
func bounds(i int) (low, width int64) {
	if i < sub {
		return int64(i), 1
	}
	e := i/sub - 1
	m := int64(i - e*sub)
	return m << e, 1 << e
}

// H is a histogram. The zero value is empty and ready to use.
type H struct {
	counts []uint64 // NumBuckets long once anything is recorded
	n      uint64
	sum    float64
	min    int64
	max    int64
}

// Record adds one value.
func (h *H) Record(v int64) { h.RecordN(v, 1) }

// RecordN adds a value k times.
func (h *H) RecordN(v int64, k uint64) {
	if k == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, NumBuckets)
	}
	if v < 0 {
		v = 0
	}
	h.counts[index(v)] += k
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n += k
	h.sum += float64(v) * float64(k)
}

// RecordDuration adds a duration in nanoseconds.
func (h *H) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Count is how many values were recorded.
func (h *H) Count() uint64 { return h.n }

// Min is the smallest value recorded (0 when empty).
func (h *H) Min() int64 { return h.min }

// Max is the largest value recorded (0 when empty).
func (h *H) Max() int64 { return h.max }

// Mean is the average value (0 when empty).
func (h *H) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Merge adds o's values to h.
func (h *H) Merge(o *H) {
	if o == nil || o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, NumBuckets)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Quantile returns the value below which a fraction q of the values lie: the midpoint of the bucket holding
// that rank, clamped to the exact minimum and maximum. 0 when empty.
func (h *H) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	// The rank of the q-quantile among n sorted values, 1-based (nearest-rank definition).
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, w := bounds(i)
			v := low + (w-1)/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// QuantileDuration is Quantile as a duration.
func (h *H) QuantileDuration(q float64) time.Duration { return time.Duration(h.Quantile(q)) }

// wire is the JSON form: only non-empty buckets, as [index, count] pairs.
type wire struct {
	N       uint64      `json:"n"`
	Sum     float64     `json:"sum"`
	Min     int64       `json:"min"`
	Max     int64       `json:"max"`
	Buckets [][2]uint64 `json:"buckets"`
}

// MarshalJSON encodes the histogram sparsely.
func (h H) MarshalJSON() ([]byte, error) {
	w := wire{N: h.n, Sum: h.sum, Min: h.min, Max: h.max, Buckets: [][2]uint64{}}
	for i, c := range h.counts {
		if c > 0 {
			w.Buckets = append(w.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *H) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*h = H{n: w.N, sum: w.Sum, min: w.Min, max: w.Max}
	if w.N == 0 {
		return nil
	}
	h.counts = make([]uint64, NumBuckets)
	var total uint64
	for _, b := range w.Buckets {
		if b[0] >= NumBuckets {
			return fmt.Errorf("hist: bucket %d out of range", b[0])
		}
		h.counts[b[0]] += b[1]
		total += b[1]
	}
	if total != w.N {
		return fmt.Errorf("hist: buckets hold %d values, header says %d", total, w.N)
	}
	return nil
}
