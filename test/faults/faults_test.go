package faults_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/test/cluster/clusterharness"
)

// Sizes of the load phases: acknowledged sends before the fault, while it lasts (when it has a duration of its
// own), and after it healed. With 4 senders that is a few hundred messages per test.
const (
	before  = 40
	during  = 30
	after   = 40
	maxEach = 150 // messages per sender at most, a bound should a phase run long
)

// How long a stopped service stays down: longer than the gateways' 5 s ack timeout, so that sends in flight get
// their answer (201 from storage, or 202) and new sends run into the outage (503, retried) — the senders,
// waiting for their acks, would hardly notice a shorter one, nor would the broker's producers, which retry by
// themselves for several seconds.
const (
	redisOutage    = 8 * time.Second
	postgresOutage = 8 * time.Second
	brokerOutage   = 8 * time.Second
)

// A worker killed with SIGKILL in the middle of the load, then restarted: its partitions move to the other
// worker, which receives again what the dead one had not committed (the sequencer dedupes it); acknowledged
// sends are all stored once, sends in flight are retried by their clients.
func TestWorkerKilled(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{}, 0)
	e.coverWorkers(3)
	lis := e.listen(0)
	ld := e.startLoad(0, maxEach)

	require.NoError(t, ld.waitAcked(before))
	t.Logf("killing worker-1 (SIGKILL) after %d acknowledged sends", ld.acked())
	killed := time.Now()
	e.c.Worker(0).Kill()
	e.c.WaitWorkers(t, 1)
	t.Logf("worker-2 owns every partition %s after the kill (session timeout %s), after %d acknowledged sends",
		time.Since(killed).Round(100*time.Millisecond), e.c.SessionTimeout(), ld.acked())
	require.NoError(t, ld.waitAcked(ld.acked()+during))
	e.c.Worker(0).Restart()
	e.c.WaitWorkers(t, 2)
	t.Logf("worker-1 back in the group after %d acknowledged sends", ld.acked())
	require.NoError(t, ld.waitAcked(ld.acked()+after))
	ld.stop()
	e.verify(ld, lis)
}

// A gateway killed while its clients send: the listener and the socket sender, connected to it, reconnect to the
// other gateway and resume (sync from their last seq, the sender retrying its message with the same
// clientMsgId); REST senders switch gateway and retry.
func TestGatewayKilled(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{}, 3)
	lis := e.listen(0)
	ld := e.startLoad(0, maxEach)

	require.NoError(t, ld.waitAcked(before))
	require.NoError(t, ld.waitSocketAcked(3), "the socket sender sends through gateway-1 before it dies")
	t.Logf("killing gateway-1 (SIGKILL) after %d acknowledged sends", ld.acked())
	e.c.Gateway(0).Kill()
	require.NoError(t, ld.waitAcked(ld.acked()+after))
	ld.stop()
	e.verify(ld, lis)

	lis.mu.Lock()
	gws := slices.Clone(lis.gws)
	lis.mu.Unlock()
	require.NotEmpty(t, gws)
	assert.Equal(t, "gateway-1", gws[0], "the listener started on gateway-1")
	assert.Contains(t, gws, "gateway-2", "the listener resumed on gateway-2")
	ld.mu.Lock()
	sgws := slices.Clone(ld.sockGWs)
	ld.mu.Unlock()
	require.NotEmpty(t, sgws)
	assert.Equal(t, "gateway-1", sgws[0], "the socket sender started on gateway-1")
	assert.Contains(t, sgws, "gateway-2", "the socket sender went on sending through gateway-2")
}

// The cluster's Redis stopped for a while and started again, empty: sends fail (rate limits live there) and are
// retried, fan-out is lost meanwhile and resumes once Redis is back; the listener, still connected, heals the gap
// with sync.
func TestRedisRestarted(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{PrivateRedis: true}, 3)
	lis := e.listen(1)
	ld := e.startLoad(0, maxEach)

	require.NoError(t, ld.waitAcked(before))
	t.Logf("stopping Redis after %d acknowledged sends", ld.acked())
	e.c.Redis().Stop()
	time.Sleep(redisOutage) // the load runs into the outage
	t.Logf("starting Redis after %d acknowledged sends", ld.acked())
	e.c.RestartRedis(t)
	e.c.WaitReady(t)

	// Fan-out resumes: events stored from now on reach the listener live again.
	heads := e.heads()
	deadline := time.Now().Add(phaseTimeout)
	for !lis.liveAbove(heads) {
		require.True(t, time.Now().Before(deadline), "no live event above %v within %s after Redis came back; "+
			"%d sends acknowledged", heads, phaseTimeout, ld.acked())
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("fan-out resumed after %d acknowledged sends", ld.acked())
	require.NoError(t, ld.waitAcked(ld.acked()+after))
	ld.stop()
	e.verify(ld, lis)
}

// The cluster's PostgreSQL stopped (fast shutdown) for a while and started again: sends fail at the gateways
// and are retried, sends already in the log wait (202 accepted when the ack timeout passes first), workers
// retry their batches; once it is back nothing acknowledged is missing.
func TestPostgresRestarted(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{PrivatePostgres: true}, 3)
	lis := e.listen(1)
	ld := e.startLoad(0, maxEach)

	require.NoError(t, ld.waitAcked(before))
	t.Logf("stopping PostgreSQL after %d acknowledged sends", ld.acked())
	e.c.Postgres().Stop()
	time.Sleep(postgresOutage)
	t.Logf("starting PostgreSQL after %d acknowledged sends", ld.acked())
	e.c.RestartPostgres(t)
	e.c.WaitReady(t)
	t.Logf("every process ready again after %d acknowledged sends", ld.acked())
	require.NoError(t, ld.waitAcked(ld.acked()+after))
	ld.stop()
	e.verify(ld, lis)
}

// The broker stopped for a while and started again from its data directory: producers and the consumer group
// reconnect, and nothing acknowledged (acks=all before it stopped) is lost.
func TestBrokerRestarted(t *testing.T) {
	parallel(t)
	e := newEnv(t, clusterharness.Options{BrokerDataDir: true}, 3)
	lis := e.listen(1)
	ld := e.startLoad(0, maxEach)

	require.NoError(t, ld.waitAcked(before))
	t.Logf("stopping the broker after %d acknowledged sends", ld.acked())
	e.c.Broker().Stop()
	time.Sleep(brokerOutage)
	t.Logf("starting the broker after %d acknowledged sends", ld.acked())
	e.c.RestartBroker(t)
	e.c.WaitReady(t)
	e.c.WaitWorkers(t, 2)
	t.Logf("every process ready and both workers in the group after %d acknowledged sends", ld.acked())
	require.NoError(t, ld.waitAcked(ld.acked()+after))
	ld.stop()
	e.verify(ld, lis)
}

// coverWorkers creates conversations (at least n) until each member of the workers' consumer group owns the
// partition of one of them, so that whichever worker a test kills was sequencing some of the load. Conversation ids
// are random, so this samples: a member may own a single partition of six, which 30 conversations miss with
// probability (5/6)^30 ≈ 0.4 % (CI met it once); 200 miss it with probability below 1e-15.
func (e *env) coverWorkers(n int) {
	t := e.t
	t.Helper()
	st, err := e.c.GroupState()
	require.NoError(t, err)
	require.True(t, st.Stable(e.c.GroupMembers(2), e.c.Partitions), "group: %s", st)
	for range 200 {
		covered := 0
		for _, parts := range st.Members {
			for _, conv := range e.convs {
				if slices.Contains(parts, partitionOf(conv, e.c.Partitions)) {
					covered++
					break
				}
			}
		}
		if covered == len(st.Members) && len(e.convs) >= n {
			var where []string
			for _, conv := range e.convs {
				where = append(where, fmt.Sprintf("%s→p%d", conv, partitionOf(conv, e.c.Partitions)))
			}
			t.Logf("conversations %v; group %s", where, st)
			return
		}
		e.convs = append(e.convs, e.createConv())
	}
	t.Fatalf("200 conversations do not cover the partitions of every member of the group %s", st)
}

// partitionOf is the command topic's partition of a conversation: the producer keys records by conversation id
// with Kafka's default (murmur2) partitioner.
func partitionOf(conv string, partitions int) int {
	ps := make([]int, partitions)
	for i := range ps {
		ps[i] = i
	}
	return (&kafkago.Murmur2Balancer{}).Balance(kafkago.Message{Key: []byte(conv)}, ps...)
}

// heads returns each conversation's stored last seq.
func (e *env) heads() map[string]int64 {
	e.t.Helper()
	stored, err := e.storedEvents()
	require.NoError(e.t, err)
	out := map[string]int64{}
	for conv, evs := range stored {
		out[conv] = int64(len(evs))
	}
	return out
}
