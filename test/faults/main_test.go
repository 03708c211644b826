// Package faults_test injects faults into a running scalechat cluster — a worker killed with SIGKILL, a gateway
// killed, Redis, PostgreSQL and the Kafka-protocol broker restarted, every process restarted gracefully in turn —
// while a load of REST and Socket.IO senders runs, and then proves by seq that nothing acknowledged was lost or
// duplicated (the guarantees of the README's "Reliability" section):
//
//   - every conversation's stored events (GET /v1/conversations/{id}/events?after=0, paged) are dense 1..N,
//     and no sender's clientMsgId appears twice;
//   - every acknowledged send (201, 200, or 202 accepted, which must then appear) is stored exactly once,
//     with the id and seq its acknowledgement carried when it carried one;
//   - a listening Socket.IO client that reconnects on its own and heals gaps with `sync` ends up with exactly
//     the stored sequence, every copy it received (live or synced) equal to the stored event, and no live
//     event twice on one connection.
//
// Senders behave as real clients: unique clientMsgIds, and every failed or timed-out send retried with the same
// clientMsgId (REST senders through the other gateway, the socket sender after reconnecting elsewhere).
//
// Each fault test runs a cluster of its own (clusterharness: 2 gateways and 2 workers as processes of the
// race-built binary); at most two run at once, to spare the machine. pipeline_test.go stages, deterministically
// and in one process, interleavings the clusters hit only by chance.
package faults_test

import (
	"os"
	"testing"

	"github.com/scalechat/scalechat/test/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveBuilds()
	os.Exit(code)
}

// slots bounds the clusters running at once, whatever -parallel says.
var slots = make(chan struct{}, 2)

// parallel marks t parallel and waits for a free slot, released when t (and its cluster) ended.
func parallel(t *testing.T) {
	t.Parallel()
	slots <- struct{}{}
	t.Cleanup(func() { <-slots })
}
