package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/harness"
)

// requireService fails the test (never skips it) when a local service the cluster target needs is down.
func requireService(t *testing.T, name, addr, start string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("%s is not reachable at %s (%v): the bench's cluster target needs it. Start it with:\n  %s",
			name, addr, err, start)
	}
	_ = c.Close()
}

// TestSmoke runs the whole bench in its smoke configuration (every target and scenario, the soak included,
// tiny sizes) on a fresh build of scalechat and checks that it completes and writes its results. It measures
// nothing, and the soak's verdicts are reported, not checked.
func TestSmoke(t *testing.T) {
	requireService(t, "PostgreSQL", "127.0.0.1:5432",
		"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
	requireService(t, "Redis", "127.0.0.1:6379",
		`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`)
	bin := harness.Build(t, ".") // no -race: the bench measures the binary as it ships
	bench := harness.Build(t, "./test/bench")
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bench, "--smoke", "--scenarios", strings.Join(knownScenarios, ","), "--bin", bin,
		"--out", out)
	cmd.Dir = harness.ModuleRoot()
	cmd.Env = append(os.Environ(), "CLUSTER_DIR=") // the bench picks its own
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "bench --smoke failed:\n%s", output)

	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	var res Results
	require.NoError(t, json.Unmarshal(raw, &res))
	require.Len(t, res.Targets, len(allTargets))
	for _, tr := range res.Targets {
		assert.Empty(t, tr.Error, tr.Name)
		if assert.NotEmpty(t, tr.Fanout, "%s has a fan-out result", tr.Name) {
			assert.NotEmpty(t, tr.Fanout[0].Steps, "%s fan-out steps", tr.Name)
		}
		if tr.Name != "cluster" {
			assert.Nil(t, tr.Soak, "%s: the soak runs on the cluster only", tr.Name)
		} else if assert.NotNil(t, tr.Soak, "the cluster has a soak result") {
			s := tr.Soak
			assert.False(t, s.Checked)
			assert.NotEmpty(t, s.Verdicts)
			if assert.GreaterOrEqual(t, len(s.Samples), 4, "soak samples") {
				last := s.Samples[len(s.Samples)-1]
				for _, p := range s.Processes {
					assert.Contains(t, last.RSS, p)
					assert.Contains(t, last.Goroutines, p)
					assert.Contains(t, last.FDs, p)
				}
				assert.GreaterOrEqual(t, last.RedisClients, 0, "Redis INFO clients read")
				assert.GreaterOrEqual(t, last.PGConnections, 0, "pg_stat_activity read")
				assert.Positive(t, last.Counts.Sent, "the last round sent")
			}
		}
	}
	for _, f := range []string{"results.md", "fanout-20-latency.png", "idle-rss.png"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Soak (cluster)")
	sum, err := exec.CommandContext(ctx, bench, "summary", "--out", filepath.Join(out, "summary.md"), out).CombinedOutput()
	require.NoError(t, err, "bench summary failed:\n%s", sum)
	assert.Contains(t, string(sum), "| persist: messages/s over REST |")
	assert.FileExists(t, filepath.Join(out, "summary.md"))
}
