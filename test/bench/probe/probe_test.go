package probe

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAndIncrease(t *testing.T) {
	before, err := Parse(strings.NewReader(`# HELP go_goroutines x
# TYPE go_goroutines gauge
go_goroutines 12
scalechat_fanout_dropped_total{node="a b"} 3
scalechat_socket_closed_total{reason="outbound_overflow"} 1
scalechat_socket_closed_total{reason="client"} 7
`))
	require.NoError(t, err)
	assert.Equal(t, 12.0, before.Value("go_goroutines"))
	after, err := Parse(strings.NewReader(`go_goroutines 40 1700000000
scalechat_fanout_dropped_total{node="a b"} 10
scalechat_outbound_dropped_total 2
scalechat_socket_closed_total{reason="outbound_overflow"} 4
scalechat_socket_closed_total{reason="write_timeout"} 1
scalechat_socket_closed_total{reason="client"} 9
baseline_broadcast_dropped_total 5
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{
		`scalechat_fanout_dropped_total{node="a b"}`: 7,
		`scalechat_outbound_dropped_total`:           2,
		`baseline_broadcast_dropped_total`:           5,
	}, Increase(before, after, IsDrop))
	assert.Equal(t, map[string]float64{
		`scalechat_socket_closed_total{reason="outbound_overflow"}`: 3,
		`scalechat_socket_closed_total{reason="write_timeout"}`:     1,
	}, Increase(before, after, IsSlowClose))
}

func TestSelf(t *testing.T) {
	cpu, err := CPU(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cpu.Nanoseconds(), int64(0))
	rss, err := RSS(os.Getpid())
	require.NoError(t, err)
	assert.Greater(t, rss, int64(1<<20))
	assert.True(t, Alive(os.Getpid()))
	_, err = CPU(1 << 30)
	assert.Error(t, err)
}
