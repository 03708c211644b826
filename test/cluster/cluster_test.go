package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/cluster/clusterharness"
)

// TestCluster starts one cluster (2 gateways, 2 workers) shared by its subtests; each subtest uses accounts and
// conversations of its own.
func TestCluster(t *testing.T) {
	c := clusterharness.Start(t, clusterharness.Options{Gateways: 2, Workers: 2})
	gw1, gw2 := newGateway(t, "gateway-1", c.Gateway(0)), newGateway(t, "gateway-2", c.Gateway(1))

	t.Run("Readiness", func(t *testing.T) { testReadiness(t, c, gw1, gw2) })
	t.Run("JSClientChatAcrossGateways", func(t *testing.T) { testJSChat(t, gw1, gw2) })
	t.Run("GoClientChatAcrossGateways", func(t *testing.T) { testGoChat(t, gw1, gw2) })
	t.Run("HistoryIdenticalOnEveryGateway", func(t *testing.T) { testHistory(t, gw1, gw2) })
	t.Run("IdempotentRetryAcrossGateways", func(t *testing.T) { testIdempotentRetry(t, gw1, gw2) })
	t.Run("PresenceAndTypingAcrossGateways", func(t *testing.T) { testPresenceAndTyping(t, gw1, gw2) })
	t.Run("MembershipChangesReachEveryGateway", func(t *testing.T) {
		t.Run("AddedOnGateway1ConnectedToGateway2", func(t *testing.T) { testMembership(t, gw1, gw2) })
		t.Run("AddedOnGateway2ConnectedToGateway1", func(t *testing.T) { testMembership(t, gw2, gw1) })
	})
	t.Run("LogOutOnOneGatewayEndsSocketsOnTheOther", func(t *testing.T) { testLogOutEverywhere(t, gw1, gw2) })
	t.Run("WebhooksFromOneWorkerAtATime", func(t *testing.T) { testWebhooksFromOneWorkerAtATime(t, c, gw1, gw2) })
}

// Logging out through one gateway ends that session's sockets on every gateway within a second (an
// announcement over the Redis fan-out), with a server disconnect the client does not retry.
func testLogOutEverywhere(t *testing.T, g1, g2 *gateway) {
	alice := signUp(t, g1, "alice")
	far, near := alice.dial(t, g2, "websocket"), alice.dial(t, g1, "polling")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	r, err := alice.on(t, g1).DeleteCurrentSessionWithResponse(ctx)
	wantStatus(t, r, err, http.StatusNoContent)
	loggedOut := time.Now()
	for _, c := range []*client{far, near} {
		select {
		case reason := <-c.disconnects:
			assert.Equal(t, "io server disconnect", reason, c.name)
			assert.Less(t, time.Since(loggedOut), time.Second, "%s: ended within a second of the logout", c.name)
		case <-time.After(waitFor):
			t.Fatalf("%s: still connected %s after its session was logged out on %s", c.name, waitFor, g1.name)
		}
	}
}

// A gateway is ready when PostgreSQL, Redis and Kafka answer; a worker when PostgreSQL and Redis do. A worker
// serves the probes only, not the API.
func testReadiness(t *testing.T, c *clusterharness.Cluster, gws ...*gateway) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for _, g := range gws {
		r, err := g.api(t, "").ReadyzWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.ReadinessStatus("ok"), r.JSON200.Status, g.name)
		assert.Equal(t, map[string]string{"postgres": "ok", "redis": "ok", "kafka": "ok"}, r.JSON200.Checks, g.name)
	}
	for i, w := range c.Workers() {
		wg := newGateway(t, fmt.Sprintf("worker-%d", i+1), w)
		r, err := wg.api(t, "").ReadyzWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.ReadinessStatus("ok"), r.JSON200.Status, wg.name)
		assert.Equal(t, map[string]string{"postgres": "ok", "redis": "ok"}, r.JSON200.Checks, wg.name)
		h, err := wg.api(t, "").HealthzWithResponse(ctx)
		wantStatus(t, h, err, http.StatusOK)
		me, err := wg.api(t, "").GetMeWithResponse(ctx)
		wantStatus(t, me, err, http.StatusNotFound)
	}
}

// jsSummary is what test/cluster/js/chat.mjs prints.
type jsSummary struct {
	OK            bool     `json:"ok"`
	Errors        []string `json:"errors"`
	ClientVersion string   `json:"clientVersion"`
	N             int      `json:"n"`
	SendMs        int64    `json:"sendMs"`
	DeliverMs     int64    `json:"deliverMs"`
	Users         map[string]struct {
		Gateway   string   `json:"gateway"`
		Transport string   `json:"transport"`
		Acks      int      `json:"acks"`
		Events    int      `json:"events"`
		Seqs      []int64  `json:"seqs"`
		Redials   []string `json:"redials"`
	} `json:"users"`
}

// The official JavaScript socket.io-client: user A on gateway 1 over websocket and user B on gateway 2 over
// long-polling send N messages each at the same time; both see all 2N, exactly once and in seq order.
func testJSChat(t *testing.T, gw1, gw2 *gateway) {
	node, err := exec.LookPath("node")
	require.NoError(t, err, "Node.js runs the official socket.io-client")
	const n = 25
	alice, bob := signUp(t, gw1, "jsalice"), signUp(t, gw2, "jsbob")
	conv := alice.createGroup(t, gw1, bob)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("js", "chat.mjs"))
	cmd.Env = append(os.Environ(), "GW_A="+gw1.p.BaseURL, "GW_B="+gw2.p.BaseURL, "TOKEN_A="+alice.Token,
		"TOKEN_B="+bob.Token, "CONV="+conv.Id, fmt.Sprintf("N=%d", n), "TIMEOUT_MS=30000")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("chat.mjs: %s", out)
	var sum jsSummary
	require.NoError(t, json.Unmarshal(out, &sum), "chat.mjs prints one JSON summary (err %v); stderr:\n%s", err, stderr.String())
	require.NoError(t, err, "chat.mjs failed: %v; stderr:\n%s", sum.Errors, stderr.String())
	require.True(t, sum.OK, "errors: %v", sum.Errors)
	assert.Empty(t, sum.Errors)
	assert.Equal(t, n, sum.N)
	want := make([]int64, 2*n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	for name, tr := range map[string]string{"A": "websocket", "B": "polling"} {
		u := sum.Users[name]
		if len(u.Redials) > 0 {
			t.Logf("%s was dialled again after the server dropped a new connection: %v", name, u.Redials)
		}
		assert.Equal(t, tr, u.Transport, name)
		assert.Equal(t, n, u.Acks, name)
		assert.Equal(t, 2*n, u.Events, name)
		assert.Equal(t, want, u.Seqs, "%s: every event once, in seq order", name)
	}
	assert.Equal(t, gw1.p.BaseURL, sum.Users["A"].Gateway)
	assert.Equal(t, gw2.p.BaseURL, sum.Users["B"].Gateway)

	// What they saw is what is stored, on either gateway.
	h1, h2 := alice.history(t, gw1, conv.Id, 100), bob.history(t, gw2, conv.Id, 100)
	require.Len(t, h1, 2*n)
	assert.Equal(t, h1, h2)
	for i, m := range h1 {
		assert.Equal(t, int64(i+1), m.Seq)
	}
}

// The same with the Go client: alice on gateway 1 over websocket, bob on gateway 2 over long-polling.
func testGoChat(t *testing.T, gw1, gw2 *gateway) {
	const n = 15
	alice, bob := signUp(t, gw1, "goalice"), signUp(t, gw2, "gobob")
	conv := alice.createGroup(t, gw2, bob)
	a, b := alice.dial(t, gw1, "websocket"), bob.dial(t, gw2, "polling")

	type sent struct {
		clientMsgID string
		ack         map[string]any
		err         error
	}
	results := make([][]sent, 2)
	var wg sync.WaitGroup
	for i, cl := range []*client{a, b} {
		wg.Go(func() {
			for j := range n {
				id := fmt.Sprintf("go-%d-%d-%d", i, j, next())
				ack, err := cl.emitAck("message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": id,
					"body": fmt.Sprintf("message %d of %s", j, cl.name)})
				results[i] = append(results[i], sent{id, ack, err})
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	acked := map[int64]sdk.Message{}
	for _, rs := range results {
		require.Len(t, rs, n)
		for _, r := range rs {
			require.NoError(t, r.err)
			m := okMessage(t, r.ack)
			require.Equal(t, r.clientMsgID, m.ClientMsgId)
			require.NotContains(t, acked, m.Seq, "seq %d acknowledged twice", m.Seq)
			acked[m.Seq] = m
		}
	}
	for _, cl := range []*client{a, b} {
		for seq := int64(1); seq <= 2*n; seq++ {
			e := cl.nextEvent(t, conv.Id)
			require.Equal(t, seq, e.Seq, "%s: events arrive once each, in seq order", cl.name)
			require.Equal(t, sdk.MessageCreated, e.Type)
			require.NotNil(t, e.Data.Message)
			assert.Equal(t, acked[seq], *e.Data.Message, "%s: the event carries the acknowledged message", cl.name)
		}
	}
	requireNone(t, a.events, quiet, a.name+" duplicate event")
	requireEmpty(t, b.events, b.name+" duplicate event")
}

// Messages sent, edited and deleted through both gateways: every gateway serves the same history and the same
// dense event sequence, whatever the page size.
func testHistory(t *testing.T, gw1, gw2 *gateway) {
	alice, bob := signUp(t, gw1, "halice"), signUp(t, gw2, "hbob")
	conv := bob.createGroup(t, gw2, alice)
	var msgs []sdk.Message
	for i := range 12 {
		u, g := alice, gw1
		if i%2 == 1 {
			u, g = bob, gw2
		}
		msgs = append(msgs, u.sendREST(t, g, conv.Id, fmt.Sprintf("h-%d", next()), fmt.Sprintf("history %d", i), http.StatusCreated))
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	e, err := alice.on(t, gw2).EditMessageWithResponse(ctx, conv.Id, msgs[0].Id, sdk.EditMessageRequest{Body: "edited via gateway 2"})
	wantStatus(t, e, err, http.StatusOK)
	d, err := bob.on(t, gw1).DeleteMessageWithResponse(ctx, conv.Id, msgs[1].Id)
	wantStatus(t, d, err, http.StatusOK)

	want := alice.history(t, gw1, conv.Id, 100)
	require.Len(t, want, 12)
	for i, m := range want {
		assert.Equal(t, msgs[i].Id, m.Id)
		assert.Equal(t, int64(i+1), m.Seq)
	}
	assert.Equal(t, "edited via gateway 2", want[0].Body)
	assert.NotNil(t, want[0].EditedAt)
	assert.NotNil(t, want[1].DeletedAt)
	for _, g := range []*gateway{gw1, gw2} {
		for _, u := range []*user{alice, bob} {
			for _, limit := range []int64{100, 5} {
				assert.Equal(t, want, u.history(t, g, conv.Id, limit), "%s's history on %s, pages of %d", u.Username, g.name, limit)
			}
		}
	}
	ev := alice.events(t, gw1, conv.Id)
	require.Len(t, ev, 14, "12 messages, an edit and a delete")
	for i, x := range ev {
		assert.Equal(t, int64(i+1), x.Seq)
	}
	assert.Equal(t, sdk.MessageEdited, ev[12].Type)
	assert.Equal(t, sdk.MessageDeleted, ev[13].Type)
	assert.Equal(t, ev, bob.events(t, gw2, conv.Id))
}

// A send retried with the same clientMsgId through the other gateway returns the original message (same id and
// seq), and the history holds it once — over REST, over sockets, and when both attempts race.
func testIdempotentRetry(t *testing.T, gw1, gw2 *gateway) {
	alice, bob := signUp(t, gw1, "ialice"), signUp(t, gw2, "ibob")
	conv := alice.createGroup(t, gw1, bob)

	t.Run("REST", func(t *testing.T) {
		id := fmt.Sprintf("rest-%d", next())
		m := alice.sendREST(t, gw1, conv.Id, id, "once", http.StatusCreated)
		again := alice.sendREST(t, gw2, conv.Id, id, "once", http.StatusOK)
		assert.Equal(t, m, again)
		other := alice.sendREST(t, gw2, conv.Id, id, "another body", http.StatusOK)
		assert.Equal(t, m, other, "the key decides: the original comes back")
	})

	t.Run("Socket", func(t *testing.T) {
		a1, a2, b := alice.dial(t, gw1, "websocket"), alice.dial(t, gw2, "websocket"), bob.dial(t, gw2, "websocket")
		id := fmt.Sprintf("sock-%d", next())
		m := a1.send(t, conv.Id, id, "socket once")
		again := okMessage(t, a2.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": id, "body": "socket once"}))
		assert.Equal(t, m, again)
		// Ordering barrier: the next message's event directly follows the retried one's, once.
		m2 := a2.send(t, conv.Id, fmt.Sprintf("sock-%d", next()), "after the retry")
		assert.Equal(t, m.Seq+1, m2.Seq, "the retry took no seq")
		for _, cl := range []*client{b, a1, a2} {
			assert.Equal(t, m.Id, cl.nextEvent(t, conv.Id).Data.Message.Id, cl.name)
			assert.Equal(t, m2.Id, cl.nextEvent(t, conv.Id).Data.Message.Id, cl.name)
			requireEmpty(t, cl.events, cl.name+" event")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		for range 5 {
			id := fmt.Sprintf("race-%d", next())
			var wg sync.WaitGroup
			var statuses [2]int
			var got [2]*sdk.Message
			var errs [2]error
			for i, g := range []*gateway{gw1, gw2} {
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), waitFor)
					defer cancel()
					r, err := alice.on(t, g).SendMessageWithResponse(ctx, conv.Id, sdk.SendMessageRequest{ClientMsgId: &id, Body: "raced"})
					if errs[i] = err; err == nil {
						statuses[i] = r.StatusCode()
						got[i] = r.JSON201
						if got[i] == nil {
							got[i] = r.JSON200
						}
					}
				})
			}
			wg.Wait()
			require.NoError(t, errs[0])
			require.NoError(t, errs[1])
			require.NotNil(t, got[0], "status %d", statuses[0])
			require.NotNil(t, got[1], "status %d", statuses[1])
			assert.Equal(t, *got[0], *got[1], "both attempts answer the same message")
			s := statuses[:]
			sort.Ints(s)
			assert.Equal(t, []int{http.StatusOK, http.StatusCreated}, s, "one attempt created the message, the other found it")
		}
	})

	// The history holds every message once: 1 (REST) + 2 (socket) + 5 (concurrent).
	h := bob.history(t, gw2, conv.Id, 100)
	require.Len(t, h, 8)
	seen := map[string]bool{}
	for i, m := range h {
		assert.Equal(t, int64(i+1), m.Seq)
		assert.False(t, seen[m.ClientMsgId], "clientMsgId %s stored twice", m.ClientMsgId)
		seen[m.ClientMsgId] = true
	}
	assert.Equal(t, h, alice.history(t, gw1, conv.Id, 100))
}

// Presence and typing cross gateways: alice on gateway 1 sees bob (gateway 2) come online, type, and go offline;
// REST presence agrees on either gateway.
func testPresenceAndTyping(t *testing.T, gw1, gw2 *gateway) {
	alice, bob := signUp(t, gw1, "palice"), signUp(t, gw2, "pbob")
	conv := alice.createGroup(t, gw1, bob)
	a := alice.dial(t, gw1, "websocket")

	presenceOf := func(g *gateway, u *user) sdk.Presence {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		r, err := alice.on(t, g).GetPresenceWithResponse(ctx, &sdk.GetPresenceParams{UserIds: &[]string{u.ID}})
		wantStatus(t, r, err, http.StatusOK)
		require.Len(t, r.JSON200.Items, 1)
		return r.JSON200.Items[0]
	}
	assert.Equal(t, sdk.Offline, presenceOf(gw2, bob).Status, "bob has not connected yet")
	assert.Equal(t, sdk.Online, presenceOf(gw2, alice).Status, "alice is connected to gateway 1")

	b := bob.dial(t, gw2, "polling")
	online := recvMatch(t, a.presence, "presence of bob", func(p sdk.Presence) bool { return p.UserId == bob.ID })
	assert.Equal(t, sdk.Online, online.Status)
	assert.Equal(t, sdk.Online, presenceOf(gw1, bob).Status)

	// Typing, both ways, never echoed to the typist.
	b.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": true})
	tn := recv(t, a.typing, "bob's typing notice")
	assert.Equal(t, typingNote{ConversationID: conv.Id, UserID: bob.ID, Typing: true}, tn)
	a.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": true})
	tn = recv(t, b.typing, "alice's typing notice")
	assert.Equal(t, typingNote{ConversationID: conv.Id, UserID: alice.ID, Typing: true}, tn)
	b.sock.Emit("typing", map[string]any{"conversationId": conv.Id, "typing": false})
	tn = recv(t, a.typing, "bob's typing stop")
	assert.Equal(t, typingNote{ConversationID: conv.Id, UserID: bob.ID, Typing: false}, tn)
	requireNone(t, a.typing, quiet, "alice's own typing echoed")
	requireEmpty(t, b.typing, "bob's own typing echoed")

	// Bob leaves: after the grace period alice hears he is offline, and both gateways say so.
	b.close()
	offline := recvMatch(t, a.presence, "bob offline", func(p sdk.Presence) bool { return p.UserId == bob.ID })
	assert.Equal(t, sdk.Offline, offline.Status)
	require.NotNil(t, offline.LastSeenAt)
	assert.WithinDuration(t, time.Now(), *offline.LastSeenAt, time.Minute)
	for _, g := range []*gateway{gw1, gw2} {
		p := presenceOf(g, bob)
		assert.Equal(t, sdk.Offline, p.Status, g.name)
		assert.NotNil(t, p.LastSeenAt, g.name)
	}
}

// A user connected to one gateway is added to a group through the other gateway's REST API: their live socket
// receives the group's events from then on; removed, it stops receiving them.
func testMembership(t *testing.T, restGW, sockGW *gateway) {
	alice, bob, carol := signUp(t, restGW, "malice"), signUp(t, sockGW, "mbob"), signUp(t, sockGW, "mcarol")
	conv := alice.createGroup(t, restGW, bob)
	a := alice.dial(t, restGW, "websocket")
	b := bob.dial(t, sockGW, "websocket")
	c := carol.dial(t, sockGW, "polling")

	m1 := a.send(t, conv.Id, fmt.Sprintf("m-%d", next()), "before carol")
	assert.Equal(t, m1.Id, b.nextEvent(t, conv.Id).Data.Message.Id)
	a.nextEvent(t, conv.Id)
	// bob and carol share a gateway: once bob got the event, carol would have too.
	requireNone(t, c.events, quiet, "event for a non-member")

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	add, err := alice.on(t, restGW).AddMembersWithResponse(ctx, conv.Id, sdk.AddMembersRequest{UserIds: []string{carol.ID}})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, add.StatusCode(), "adding carol: %s", add.Body)
	joined := c.nextEvent(t, conv.Id)
	assert.Equal(t, sdk.MemberJoined, joined.Type)
	require.NotNil(t, joined.Data.Member)
	assert.Equal(t, carol.ID, joined.Data.Member.UserId)
	assert.Equal(t, m1.Seq+1, joined.Seq)
	assert.Equal(t, joined.Seq, b.nextEvent(t, conv.Id).Seq)
	assert.Equal(t, joined.Seq, a.nextEvent(t, conv.Id).Seq)

	m2 := a.send(t, conv.Id, fmt.Sprintf("m-%d", next()), "welcome carol")
	e := c.nextEvent(t, conv.Id)
	assert.Equal(t, m2.Id, e.Data.Message.Id)
	m3 := c.send(t, conv.Id, fmt.Sprintf("m-%d", next()), "thanks")
	for _, cl := range []*client{a, b} {
		assert.Equal(t, m2.Id, cl.nextEvent(t, conv.Id).Data.Message.Id, cl.name)
		assert.Equal(t, m3.Id, cl.nextEvent(t, conv.Id).Data.Message.Id, cl.name)
	}
	assert.Equal(t, m3.Id, c.nextEvent(t, conv.Id).Data.Message.Id)

	rm, err := alice.on(t, restGW).RemoveMemberWithResponse(ctx, conv.Id, carol.ID)
	require.NoError(t, err)
	require.Less(t, rm.StatusCode(), 300, "removing carol: %s", rm.Body)
	left := c.nextEvent(t, conv.Id)
	assert.Equal(t, sdk.MemberLeft, left.Type)
	require.NotNil(t, left.Data.Member)
	assert.Equal(t, carol.ID, left.Data.Member.UserId)
	assert.Equal(t, left.Seq, b.nextEvent(t, conv.Id).Seq)

	m4 := a.send(t, conv.Id, fmt.Sprintf("m-%d", next()), "carol is gone")
	assert.Equal(t, m4.Id, b.nextEvent(t, conv.Id).Data.Message.Id)
	requireNone(t, c.events, quiet, "event after removal")
	refused := c.ack(t, "message:send", map[string]any{"conversationId": conv.Id, "clientMsgId": "late", "body": "still here?"})
	assert.Equal(t, false, refused["ok"], "ack: %v", refused)
}
