package hist

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIndexAndBoundsAgree(t *testing.T) {
	for _, v := range []int64{0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, maxValue} {
		i := index(v)
		low, w := bounds(i)
		assert.LessOrEqual(t, low, v, "v=%d", v)
		assert.Less(t, v, low+w, "v=%d", v)
		assert.Less(t, i, NumBuckets, "v=%d", v)
	}
	assert.Equal(t, NumBuckets-1, index(maxValue))
	assert.Equal(t, NumBuckets-1, index(math.MaxInt64), "clamped")
	assert.Equal(t, 0, index(-5), "clamped")
}

func TestBucketsAreContiguous(t *testing.T) {
	var next int64
	for i := range NumBuckets {
		low, w := bounds(i)
		require.Equal(t, next, low, "bucket %d", i)
		next = low + w
	}
}

func TestQuantiles(t *testing.T) {
	cases := []struct {
		name   string
		values []int64
		q      float64
		want   int64
	}{
		{"empty", nil, 0.5, 0},
		{"single", []int64{1500}, 0.99, 1500},
		{"small exact", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5},
		{"small p90", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{"max", []int64{10, 20, 3_000_000}, 1, 3_000_000},
		{"min", []int64{10, 20, 3_000_000}, 0, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h H
			for _, v := range c.values {
				h.Record(v)
			}
			assert.Equal(t, c.want, h.Quantile(c.q))
		})
	}
}

// TestRelativeError checks the 1% promise against exact quantiles of a wide random sample.
func TestRelativeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h H
	vals := make([]int64, 200_000)
	for i := range vals {
		// Log-uniform from 1 µs to 10 s.
		vals[i] = int64(math.Exp(math.Log(1e3) + r.Float64()*(math.Log(1e10)-math.Log(1e3))))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.01, 0.1, 0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := h.Quantile(q)
		assert.InEpsilon(t, float64(exact), float64(got), 0.01, "q=%v exact=%d got=%d", q, exact, got)
	}
	assert.Equal(t, uint64(len(vals)), h.Count())
	assert.Equal(t, vals[0], h.Min())
	assert.Equal(t, vals[len(vals)-1], h.Max())
}

func TestMergeEqualsRecordingEverything(t *testing.T) {
	var a, b, all H
	for i := int64(1); i <= 5000; i++ {
		v := i * i
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	var m H
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(nil)
	m.Merge(&H{})
	assert.Equal(t, all.Count(), m.Count())
	assert.Equal(t, all.Min(), m.Min())
	assert.Equal(t, all.Max(), m.Max())
	assert.InDelta(t, all.Mean(), m.Mean(), 1e-6)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		assert.Equal(t, all.Quantile(q), m.Quantile(q), "q=%v", q)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var h H
	for _, v := range []int64{0, 5, 99, 1234, 5_000_000, 5_000_001} {
		h.Record(v)
	}
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back H
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, h.Count(), back.Count())
	assert.Equal(t, h.Quantile(0.5), back.Quantile(0.5))
	assert.Equal(t, h.Max(), back.Max())

	var empty H
	b, err = json.Marshal(empty)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Zero(t, back.Count())

	assert.Error(t, json.Unmarshal([]byte(`{"n":2,"buckets":[[1,1]]}`), &back), "inconsistent count")
	assert.Error(t, json.Unmarshal([]byte(`{"n":1,"buckets":[[999999,1]]}`), &back), "bucket out of range")
}

func TestShardedConcurrent(t *testing.T) {
	s := NewSharded(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(1); i <= 1000; i++ {
				s.Record(g, i*1000)
			}
		}()
	}
	wg.Wait()
	h := s.Snapshot()
	assert.Equal(t, uint64(8000), h.Count())
	assert.Equal(t, int64(1000), h.Min())
	assert.Equal(t, int64(1_000_000), h.Max())
	assert.InEpsilon(t, 500_000, float64(h.Quantile(0.5)), 0.01)
	s.Reset()
	assert.Zero(t, s.Snapshot().Count())
}

func BenchmarkShardedRecord(b *testing.B) {
	s := NewSharded(16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Record(i, int64(i)*997)
	}
}
