package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/harness"
)

// TestBlocksPasswordsAndSessions drives blocks, the password change and log-out-everywhere through the SDK.
func TestBlocksPasswordsAndSessions(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")

	r, err := bob.c.BlockUserWithResponse(ctx, alice.ID)
	wantStatus(t, r, err, http.StatusNoContent)
	l, err := bob.c.ListBlocksWithResponse(ctx, nil)
	wantStatus(t, l, err, http.StatusOK)
	require.Len(t, l.JSON200.Items, 1)
	assert.Equal(t, alice.ID, l.JSON200.Items[0].UserId)
	c, err := alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{bob.ID}})
	wantProblem(t, c, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	u, err := bob.c.UnblockUserWithResponse(ctx, alice.ID)
	wantStatus(t, u, err, http.StatusNoContent)
	c, err = alice.c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindDirect, MemberIds: &[]string{bob.ID}})
	wantStatus(t, c, err, http.StatusCreated)

	second := s.login(t, "alice", alice.Password)
	p, err := alice.c.ChangePasswordWithResponse(ctx, sdk.PasswordChange{CurrentPassword: alice.Password, NewPassword: "a brand new one"})
	wantStatus(t, p, err, http.StatusNoContent)
	me, err := s.client(t, second.Token).GetMeWithResponse(ctx)
	wantProblem(t, me, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	me, err = alice.c.GetMeWithResponse(ctx)
	wantStatus(t, me, err, http.StatusOK)

	d, err := alice.c.DeleteAllSessionsWithResponse(ctx)
	wantStatus(t, d, err, http.StatusNoContent)
	me, err = alice.c.GetMeWithResponse(ctx)
	wantProblem(t, me, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
	s.login(t, "alice", "a brand new one")
}

// TestLimitsThroughTheBinary checks the limits are wired in the process: per address (log-in, Socket.IO
// handshakes), per user (edits), and /metrics moved to a listener of its own.
func TestLimitsThroughTheBinary(t *testing.T) {
	t.Parallel()
	metricsAddr := harness.FreeAddr(t)
	s := startServer(t, "--rate-limits", "login-ip=4/1h,handshake-ip=2/1h,edit=2/1h,register-ip=off",
		"--metrics-addr", metricsAddr)
	ctx := t.Context()
	alice := s.signUp(t, "alice") // log-in 1 of the address
	s.login(t, "alice", alice.Password)
	s.login(t, "alice", alice.Password)
	s.login(t, "alice", alice.Password)
	r, err := s.client(t, "").CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: "alice", Password: alice.Password})
	p := wantProblem(t, r, err, http.StatusTooManyRequests, sdk.ProblemCodeRateLimited)
	require.NotNil(t, p.RetryAfterMs)
	assert.Positive(t, *p.RetryAfterMs)
	secs, err := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.Positive(t, secs)

	g := alice.create(t, sdk.CreateConversationRequestKindGroup, "limits")
	m := alice.send(t, g.Id, "hello")
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		e, err := alice.c.EditMessageWithResponse(ctx, g.Id, m.Id, sdk.EditMessageRequest{Body: "edit " + strconv.Itoa(i)})
		wantStatus(t, e, err, want)
	}
	assert.Equal(t, "edit 1", alice.history(t, g.Id, 10)[0].Body, "the refused edit changed nothing")

	handshake := func() (int, string) {
		res, err := s.http.Get(s.p.BaseURL + "/socket.io/?EIO=4&transport=polling")
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}
	for range 2 {
		status, _ := handshake()
		require.Equal(t, http.StatusOK, status)
	}
	status, body := handshake()
	require.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, body, `"code":"rate_limited"`)

	res, err := s.http.Get(s.p.BaseURL + "/metrics")
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "/metrics is not on the API's address")
	res, err = s.http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.True(t, strings.Contains(string(b), "scalechat_socket_handshakes_refused_total{code=\"rate_limited\"} 1"), "%s", b)
}
