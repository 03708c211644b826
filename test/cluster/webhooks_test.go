package cluster_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/cluster/clusterharness"
	"github.com/scalechat/scalechat/test/harness"
	"github.com/scalechat/scalechat/test/hostapp"
)

// Webhooks in the distributed roles: both workers run a dispatcher, one at a time (a PostgreSQL advisory
// lock), so every message sent through either gateway reaches the host application exactly once while nothing
// fails. When the dispatching worker is killed, the other takes over and the messages sent meanwhile arrive
// too. It kills a worker: run it last.
func testWebhooksFromOneWorkerAtATime(t *testing.T, c *clusterharness.Cluster, gw1, gw2 *gateway) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), harness.Binary(t), "apikey", "create", "admin", "host backend",
		"--postgres-url", c.PostgresURL)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	admin := gw1.api(t, strings.TrimSpace(stdout.String()))

	rcv := hostapp.NewReceiver(t)
	cr, err := admin.CreateWebhookWithResponse(t.Context(), sdk.CreateWebhookRequest{Url: rcv.URL,
		Events: &[]string{"message.created"}})
	wantStatus(t, cr, err, http.StatusCreated)
	rcv.SetSecret(cr.JSON201.Secret)

	alice, bob := signUp(t, gw1, "hook"), signUp(t, gw2, "hook")
	conv := alice.createGroup(t, gw1, bob)
	// sendAll sends n messages through both gateways and returns their keys once they are sequenced (a send
	// may be answered 202 while a dead worker's partitions move).
	sendAll := func(n, from int) []hostapp.EventKey {
		t.Helper()
		want := map[string]bool{}
		for i := range n {
			u, g := alice, gw1
			if i%2 == 1 {
				u, g = bob, gw2
			}
			id := fmt.Sprintf("hook-%d", from+i)
			r, err := u.on(t, g).SendMessageWithResponse(t.Context(), conv.Id, sdk.SendMessageRequest{ClientMsgId: &id,
				Body: fmt.Sprintf("message %d", from+i)})
			require.NoError(t, err)
			require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, r.StatusCode(), string(r.Body))
			want[id] = true
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			var keys []hostapp.EventKey
			for _, m := range alice.history(t, gw1, conv.Id, 100) {
				if want[m.ClientMsgId] {
					keys = append(keys, hostapp.EventKey{ConversationID: conv.Id, Seq: m.Seq})
				}
			}
			if len(keys) == n {
				return keys
			}
			require.True(t, time.Now().Before(deadline), "only %d of %d messages were sequenced", len(keys), n)
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitAll := func(keys []hostapp.EventKey, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			got := rcv.Events()
			missing := 0
			for _, k := range keys {
				if _, ok := got[k]; !ok {
					missing++
				}
			}
			if missing == 0 {
				return
			}
			require.True(t, time.Now().Before(deadline), "%d of %d messages never reached the host app", missing, len(keys))
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := sendAll(20, 0)
	waitAll(first, 30*time.Second)
	time.Sleep(500 * time.Millisecond) // a second dispatcher, were there one, would have delivered again by now
	received, refused := rcv.Counts()
	assert.Equal(t, len(first), received, "exactly once: one dispatcher, no failures")
	assert.Zero(t, refused)

	var holder *harness.Process
	for _, w := range c.Workers() {
		if strings.Contains(w.Logs(), "webhook dispatcher running") {
			require.Nil(t, holder, "two workers dispatch at once")
			holder = w
		}
	}
	require.NotNil(t, holder, "no worker dispatches")
	holder.Kill()
	second := sendAll(10, 20)
	waitAll(second, 60*time.Second)
}
