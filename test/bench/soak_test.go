package main

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFlatness checks the soak's verdict arithmetic: the last third's mean against the middle third's, with
// the relative tolerance and the absolute slack, missing values skipped.
func TestFlatness(t *testing.T) {
	flat := []float64{0, 100, 100, 101, 99, 104, 103, 108, 108, 109}
	mid, last, limit, v := flatness(flat, 0.10, 5)
	assert.Equal(t, verdictFlat, v)
	assert.InDelta(t, 101.333, mid, 1e-3)  // samples 3..5 (thirds of 3 samples)
	assert.InDelta(t, 108.333, last, 1e-3) // samples 7..9
	assert.InDelta(t, 101.333*1.1+5, limit, 1e-3)

	_, _, _, v = flatness([]float64{0, 100, 100, 100, 100, 110, 120, 130, 140}, 0.10, 5)
	assert.Equal(t, verdictGrowing, v)

	_, _, _, v = flatness([]float64{1, 2}, 0.10, 5)
	assert.Equal(t, verdictNoData, v)
	nan := math.NaN()
	_, _, _, v = flatness([]float64{1, 2, nan, nan, 3, 3}, 0.10, 5)
	assert.Equal(t, verdictNoData, v)
	mid, _, _, v = flatness([]float64{1, 2, nan, 4, 3, 3}, 0.10, 0)
	assert.Equal(t, verdictFlat, v)
	assert.Equal(t, 4.0, mid)
}

// TestSoakVerdictsAndProblems checks which series are judged, and what fails a checked soak: a gating resource
// growing, missing deliveries, lost acks; not the server-wide Redis count.
func TestSoakVerdictsAndProblems(t *testing.T) {
	procs := []string{"worker-1", "gateway-1"}
	var samples []SoakSample
	for i := range 9 {
		samples = append(samples, SoakSample{
			RSS:           map[string]int64{"worker-1": 40 << 20, "gateway-1": int64(40+10*i) << 20}, // gateway-1 grows
			Goroutines:    map[string]int64{"worker-1": 100, "gateway-1": 300},
			FDs:           map[string]int{"worker-1": 30, "gateway-1": 330},
			RedisConns:    map[string]int{"worker-1": 3, "gateway-1": 4},
			PGConns:       map[string]int{"worker-1": 5, "gateway-1": 2},
			RedisClients:  10 + 5*i, // someone else's clients come and go
			PGConnections: 7, PGAll: 9,
		})
	}
	res := &SoakResult{Processes: procs, Samples: samples, Checked: true,
		Totals: SoakCounts{Expected: 100, Live: 97, Late: 1, Missing: 2, AckTimeouts: 1}}
	res.Verdicts = soakVerdicts(procs, samples)
	by := map[string]SoakVerdict{}
	for _, v := range res.Verdicts {
		by[v.Resource] = v
	}
	assert.Len(t, res.Verdicts, 3*len(procs)+4)
	assert.Equal(t, verdictGrowing, by["RSS gateway-1"].Verdict)
	assert.Equal(t, verdictFlat, by["RSS worker-1"].Verdict)
	assert.Equal(t, verdictFlat, by["open fds gateway-1"].Verdict)
	assert.Equal(t, 7.0, by["Redis connections of the servers"].Middle)
	assert.Equal(t, verdictGrowing, by["Redis connected_clients"].Verdict)
	assert.False(t, by["Redis connected_clients"].Gating)
	problems := soakProblems(res)
	assert.Len(t, problems, 3, problems)
	assert.True(t, strings.HasPrefix(problems[0], "RSS gateway-1: GROWING"), problems[0])
	assert.Contains(t, problems[1], "2 deliveries of acked messages missing")
	assert.Contains(t, problems[2], "1 acks lost")
}
