package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
}

// TestSummarizeTakesMediansBesideBefore checks the headline table: medians with their range over the runs,
// the before runs in their own columns, and figures a run did not measure left blank.
func TestSummarizeTakesMediansBesideBefore(t *testing.T) {
	run := func(version string, sat, cpu, p99, persist float64) *Results {
		steps := []*StepResult{
			{OfferedMsgs: sat * 0.5, P99Ms: p99},
			{OfferedMsgs: sat, P99Ms: 10 * p99, Server: ServerFigures{CPUUsPerDelivery: cpu}},
		}
		fo := &FanoutResult{Members: 1000, Steps: steps}
		fo.SaturationMsgs, fo.SaturationDeliveries = sat, sat*1000
		return &Results{Binary: BinaryInfo{Version: version}, Targets: []*TargetResult{
			{Name: "standalone", Fanout: []*FanoutResult{fo}, Persist: &PersistResult{PerS: persist}},
		}}
	}
	after := []*Results{run("new", 100, 2, 10, 900), run("new", 300, 1, 30, 1000), run("new", 200, 3, 20, 1100)}
	before := []*Results{run("old", 20, 40, 500, 300)}
	out := summarize(after, before)
	require.Contains(t, out, "| figure | standalone before | standalone |")
	line := func(prefix string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		return ""
	}
	assert.Equal(t, "| fan-out 1,000 members: deliveries/s, all delivered live | 20,000 | 200,000 (100,000–300,000) |",
		line("| fan-out 1,000 members: deliveries/s"))
	assert.Equal(t, "| fan-out 1,000 members: server µs per delivery there | 40.00 | 2.00 (1.00–3.00) |",
		line("| fan-out 1,000 members: server µs"))
	assert.Equal(t, "| fan-out 1,000 members: p99 ms at ≤ 80% of that rate | 500.0 | 20.0 (10.0–30.0) |",
		line("| fan-out 1,000 members: p99"))
	assert.Equal(t, "| persist: messages/s over REST | 300 | 1,000 (900–1,100) |", line("| persist:"))
	assert.Equal(t, "| storm: probe p99 ms | — | — |", line("| storm: probe"))
}
