package faults_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/cluster/clusterharness"
	"github.com/scalechat/scalechat/test/harness"
)

// stopGrace bounds a graceful stop: the servers' --shutdown-timeout (10 s) plus the time to close sockets and
// leave the consumer group. The harness would SIGKILL after 15 s; a stop that needs that is a failure here.
const stopGrace = 12 * time.Second

// rollingMaxEach bounds each sender's messages: a graceful stop hardly slows the load, so four restarts take
// many more sends than one fault does.
const rollingMaxEach = 2000

// Every scalechat process of the cluster stopped gracefully (SIGTERM) and started again, one after another,
// under load, as a rolling upgrade does: a gateway stops taking requests and closes its sockets, so that their
// clients move to the other gateway, and lets in-flight requests finish; a worker finishes and commits its
// batch and leaves the group. Each exits 0 within its grace, and by seq nothing acknowledged is lost or
// duplicated (verify), and the listener saw every event live or by sync.
func TestRollingRestart(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{}, 0)
	e.coverWorkers(3)
	lis := e.listen(0)
	ld := e.startLoad(0, rollingMaxEach)
	require.NoError(t, ld.waitAcked(before))

	steps := []struct {
		name   string
		p      *harness.Process
		worker bool
	}{
		{"worker-1", e.c.Worker(0), true}, {"worker-2", e.c.Worker(1), true},
		{"gateway-1", e.c.Gateway(0), false}, {"gateway-2", e.c.Gateway(1), false},
	}
	for _, s := range steps {
		t.Logf("stopping %s (SIGTERM) after %d acknowledged sends", s.name, ld.acked())
		start := time.Now()
		s.p.Stop()
		took := time.Since(start)
		require.Equal(t, 0, s.p.ExitCode(), "%s exits 0 after SIGTERM", s.name)
		require.Less(t, took, stopGrace, "%s stops within its grace", s.name)
		t.Logf("%s stopped in %s; starting it again after %d acknowledged sends", s.name,
			took.Round(10*time.Millisecond), ld.acked())
		s.p.Restart()
		require.NoError(t, s.p.WaitReady(phaseTimeout), "%s ready again", s.name)
		if s.worker {
			e.c.WaitWorkers(t, 2)
		}
		require.NoError(t, ld.waitAcked(ld.acked()+during))
	}
	ld.stop()
	e.verify(ld, lis)
}
