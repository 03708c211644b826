package realtime_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/scalechat/scalechat/adapters/socketio"
	"github.com/scalechat/scalechat/openapi/sdk"
)

// The authorization matrix of the socket events: every client → server event, sent by a non-member, a member,
// an admin and the owner of a group, each against a fresh group (owner O, admin A, member M; message m1 by M),
// must get the ack the rules give. Token-less, revoked and expired callers cannot connect at all
// (TestBadToken, TestExpiredSessionEndsItsSockets, and here the expired handshake).
func TestSocketAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	type fixture struct {
		o, a, m, x *user
		g, m1      string
	}
	newFixture := func(t *testing.T) fixture {
		f := fixture{o: s.signUp(t, "own"), a: s.signUp(t, "adm"), m: s.signUp(t, "mem"), x: s.signUp(t, "out")}
		f.g = f.o.createGroup(t, f.a, f.m).Id
		r, err := f.o.api.UpdateMemberWithResponse(t.Context(), f.g, f.a.ID, sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleAdmin})
		wantStatus(t, r, err, http.StatusOK)
		id := fmt.Sprintf("m1-%d", s.next())
		sr, err := f.m.api.SendMessageWithResponse(t.Context(), f.g, sdk.SendMessageRequest{ClientMsgId: &id, Body: "hello"})
		wantStatus(t, sr, err, http.StatusCreated)
		f.m1 = sr.JSON201.Id
		return f
	}
	roles := []string{"nonmember", "member", "admin", "owner"}
	actor := func(f fixture, role string) *user {
		return map[string]*user{"nonmember": f.x, "member": f.m, "admin": f.a, "owner": f.o}[role]
	}
	ok := ""
	ops := []struct {
		event   string
		payload func(f fixture) map[string]any
		want    map[string]string // error code by role; ok ("") for an ok ack
	}{
		{"message:send", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "clientMsgId": fmt.Sprintf("c%d", s.next()), "body": "hi"}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
		{"message:edit", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1, "body": "edited"}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": "permission_denied", "owner": "permission_denied"}},
		{"message:delete", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
		{"message:react", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1, "emoji": "👍"}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
		{"message:unreact", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1, "emoji": ":thumbsup:"}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
		{"message:pin", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1}
		}, map[string]string{"nonmember": "not_found", "member": "permission_denied", "admin": ok, "owner": ok}},
		{"message:unpin", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "messageId": f.m1}
		}, map[string]string{"nonmember": "not_found", "member": "permission_denied", "admin": ok, "owner": ok}},
		{"conversation:read", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "seq": 1}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
		{"typing", func(f fixture) map[string]any {
			return map[string]any{"conversationId": f.g, "typing": true}
		}, map[string]string{"nonmember": "not_found", "member": ok, "admin": ok, "owner": ok}},
	}
	covered := map[string]bool{"sync": true}
	for _, op := range ops {
		covered[op.event] = true
		t.Run(op.event, func(t *testing.T) {
			for _, role := range roles {
				f := newFixture(t)
				c := actor(f, role).dial(t, "websocket")
				a := c.ack(t, op.event, op.payload(f))
				if want := op.want[role]; want == ok {
					assert.Equal(t, true, a["ok"], "%s as %s: %v", op.event, role, a)
				} else {
					assert.Equal(t, want, errorCode(t, a), "%s as %s: %v", op.event, role, a)
				}
				c.close()
			}
		})
	}
	for _, ev := range socketio.Events {
		assert.True(t, covered[ev], "the matrix covers %s", ev)
	}
	t.Run("sync", func(t *testing.T) {
		for _, role := range roles {
			f := newFixture(t)
			c := actor(f, role).dial(t, "websocket")
			events, _ := c.sync(t, map[string]int64{f.g: 0}, 0)
			if role == "nonmember" {
				assert.Empty(t, events, "sync skips conversations the caller is not in")
			} else {
				assert.NotEmpty(t, events, "sync as %s", role)
			}
			c.close()
		}
	})
}

// An expired session cannot open a socket: the handshake is refused with unauthenticated.
func TestExpiredTokenHandshake(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--session-ttl", "1s")
	u := s.signUp(t, "brief")
	time.Sleep(1100 * time.Millisecond)
	c := open(t, s.p.BaseURL, u.Token, "websocket", "expired")
	c.connect(t)
	select {
	case err := <-c.connectErrs:
		var ext *types.ExtendedError
		require.True(t, errors.As(err, &ext), "connect_error is a server refusal, got %T %v", err, err)
		data, _ := ext.Data.(map[string]any)
		assert.Equal(t, "unauthenticated", data["code"])
	case <-c.connects:
		t.Fatal("an expired token connected")
	case <-time.After(waitFor):
		t.Fatalf("no connect_error within %s", waitFor)
	}
	assert.False(t, c.sock.Connected())
}

// One client address may hold --max-sockets-per-address sockets on a node; one more is refused with
// rate_limited (a connect_error, so the client does not retry), and a socket that closes frees its place.
func TestSocketsPerAddress(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--max-sockets-per-address", "2")
	a, b, c := s.signUp(t, "first"), s.signUp(t, "second"), s.signUp(t, "third")
	sa := a.dial(t, "websocket")
	b.dial(t, "websocket")
	refused := open(t, s.p.BaseURL, c.Token, "websocket", "third")
	refused.connect(t)
	select {
	case err := <-refused.connectErrs:
		var ext *types.ExtendedError
		require.True(t, errors.As(err, &ext), "connect_error is a server refusal, got %T %v", err, err)
		data, _ := ext.Data.(map[string]any)
		assert.Equal(t, "rate_limited", data["code"])
	case <-refused.connects:
		t.Fatal("a third socket from the address connected")
	case <-time.After(waitFor):
		t.Fatalf("no connect_error within %s", waitFor)
	}
	sa.close()
	// The place is free once the server has handled the disconnect; then one more socket connects.
	require.Eventually(t, func() bool {
		return s.metricSum(t, "scalechat_socket_disconnects_total") >= 1 // whatever the reason the client's close gave
	}, waitFor, 20*time.Millisecond, "the server handles the client's disconnect")
	again := open(t, s.p.BaseURL, c.Token, "websocket", "third-again")
	again.connect(t)
	again.waitConnect(t)
}
