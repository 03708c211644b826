package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/bench/hist"
	"github.com/scalechat/scalechat/test/bench/loadgen"
)

func TestNumAndRatio(t *testing.T) {
	for _, c := range []struct {
		v    float64
		dec  int
		want string
	}{{0, 0, "0"}, {999, 0, "999"}, {1000, 0, "1,000"}, {1234567.891, 2, "1,234,567.89"}, {-12345, 0, "-12,345"}} {
		assert.Equal(t, c.want, num(c.v, c.dec))
	}
	assert.Equal(t, "0.50×", ratio(1, 2))
	assert.Equal(t, "12×", ratio(120, 10))
	assert.Equal(t, "—", ratio(1, 0))
}

func TestFlagParsing(t *testing.T) {
	f, err := parseFanout("1000:20,50;10000:2")
	require.NoError(t, err)
	assert.Equal(t, []fanoutSize{{Members: 1000, Rates: []float64{20, 50}}, {Members: 10000, Rates: []float64{2}}}, f)
	for _, bad := range []string{"1000", "x:1", "1000:0", "1:5"} {
		_, err := parseFanout(bad)
		assert.Error(t, err, bad)
	}
	got, err := pick("standalone, cluster", allTargets)
	require.NoError(t, err)
	assert.Equal(t, []string{"standalone", "cluster"}, got)
	_, err = pick("elsewhere", allTargets)
	assert.Error(t, err)
	assert.True(t, sortedPositive([]int{1, 5, 9}))
	assert.False(t, sortedPositive([]int{5, 5}))
}

// TestAssemble checks the step arithmetic: expected deliveries come from the acks, percentages and rates
// from the live counts, and counters from the workers' differences since the step was armed.
func TestAssemble(t *testing.T) {
	var lat hist.H
	lat.Record(int64(2 * time.Millisecond))
	cols := []loadgen.CollectResult{
		{Deliveries: loadgen.Deliveries{Live: 150, Late: 2, Latency: lat},
			Send:   &loadgen.SendResult{Sent: 11, OK: 10, Timeouts: 1, PerSender: []int{4, 6}},
			Totals: loadgen.Totals{ServerClosed: 3, LateAcks: 1}},
		{Deliveries: loadgen.Deliveries{Live: 140}, Totals: loadgen.Totals{ServerClosed: 1}},
	}
	armed := []loadgen.Totals{{ServerClosed: 1}, {ServerClosed: 1}}
	sp := rateSpec{rate: 5, fan: 30, expected: func(ps [][]int) uint64 {
		var n uint64
		for _, s := range ps {
			for _, k := range s {
				n += uint64(k)
			}
		}
		return n * 30
	}}
	r := assemble(sp, 2*time.Second, armed, cols)
	assert.Equal(t, uint64(300), r.Expected)
	assert.Equal(t, uint64(290), r.Live)
	assert.InDelta(t, 96.67, r.DeliveredPct, 0.01)
	assert.Equal(t, 145.0, r.DeliveriesPerS)
	assert.Equal(t, 5.0, r.AckedPerS)
	assert.Equal(t, 150.0, r.OfferedDeliveries)
	assert.Equal(t, uint64(2), r.ServerClosed)
	assert.Equal(t, uint64(1), r.LateAcks)
	assert.Equal(t, 1, r.AckTimeouts)
	assert.False(t, r.full())
	assert.InDelta(t, 2.0, r.P50Ms, 0.02)
}

// A step whose every acked message arrived is still not full when the target refused or lagged sends.
func TestFullNeedsTheOfferedRate(t *testing.T) {
	kept := StepResult{OfferedMsgs: 100, AckedPerS: 99.5, Expected: 1000, Live: 1000}
	assert.True(t, kept.full())
	refused := StepResult{OfferedMsgs: 100, AckedPerS: 60, Expected: 600, Live: 600}
	assert.False(t, refused.full())
	lost := StepResult{OfferedMsgs: 100, AckedPerS: 100, Expected: 1000, Live: 999}
	assert.False(t, lost.full())
}
