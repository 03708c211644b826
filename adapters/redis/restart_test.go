package redis_test

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/redis"
	"github.com/scalechat/scalechat/core"
)

// TestFanoutResubscribesAfterRedisRestart restarts a private redis-server (the shared one must not be
// disturbed) under a live subscription: once Redis is back, envelopes are delivered again without a new
// Join; what was published meanwhile is lost, as the port allows.
func TestFanoutResubscribesAfterRedisRestart(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	srv := startRedis(t, port)
	url := "redis://127.0.0.1:" + port + "/0"
	cfg := redis.Config{URL: url} // a private server: no prefix to clean up
	sub := redis.NewFanout(openTest(t, cfg))
	pub := redis.NewFanout(openTest(t, cfg))
	got := newMarks()
	subscribe(t, sub, got.handle, "conv:r")

	require.NoError(t, pub.Publish(t.Context(), "conv:r", mark(1)))
	require.Eventually(t, func() bool { return len(got.of("conv:r")) == 1 }, fanWait, 5*time.Millisecond)

	stopRedis(t, srv)
	assert.ErrorIs(t, pub.Publish(t.Context(), "conv:r", mark(2)), core.ErrUnavailable, "Redis is down")
	time.Sleep(300 * time.Millisecond) // let the subscription notice and start retrying
	srv = startRedis(t, port)

	next := int64(100)
	require.Eventually(t, func() bool {
		next++
		if err := pub.Publish(t.Context(), "conv:r", mark(next)); err != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
		return len(got.of("conv:r")) > 1
	}, 20*time.Second, 10*time.Millisecond, "the subscription re-subscribed by itself")
	marks := got.of("conv:r")
	assert.Equal(t, int64(1), marks[0])
	assert.Greater(t, marks[1], int64(100), "what was published during the outage is lost")
	assert.IsIncreasing(t, marks)

	// Joining and leaving work again too.
	s, err := sub.Subscribe(t.Context(), got.handle)
	require.NoError(t, err)
	require.NoError(t, s.Join(t.Context(), "conv:again"))
	require.NoError(t, s.Leave(t.Context(), "conv:again"))
	require.NoError(t, s.Close())
}

// freePort returns a TCP port nothing listens on at the moment.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// startRedis starts a private, non-persistent redis-server on port and waits until it answers.
func startRedis(t *testing.T, port string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (%v); the restart test runs a private one", err)
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stopRedis(t, cmd) })
	rdb := rawClient(t, "redis://127.0.0.1:"+port+"/0")
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return rdb.Ping(ctx).Err() == nil
	}, 10*time.Second, 20*time.Millisecond, "private redis-server on port %s did not start", port)
	return cmd
}

// stopRedis kills a server started by startRedis (once) and waits for it to exit.
func stopRedis(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}
