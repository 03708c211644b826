package clusterharness_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/cluster/clusterharness"
)

// The harness's controls work: private Redis and PostgreSQL restart, the broker survives a kill on its data
// directory, a killed worker's partitions move to the other one, and the cluster keeps serving throughout.
func TestHarnessControls(t *testing.T) {
	t.Parallel()
	c := clusterharness.Start(t, clusterharness.Options{Gateways: 1, Workers: 2, PrivateRedis: true,
		PrivatePostgres: true, BrokerDataDir: true})
	require.NotNil(t, c.Redis())
	require.NotNil(t, c.Postgres())
	st, err := c.GroupState()
	require.NoError(t, err)
	require.True(t, st.Stable(c.GroupMembers(2), c.Partitions), "%s", st)

	api := client(t, c.Gateway(0).BaseURL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg, err := api.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: "harness", Password: "harness-password"})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, reg.StatusCode(), "%s", reg.Body)
	login, err := api.CreateSessionWithResponse(ctx, sdk.LoginRequest{Username: "harness", Password: "harness-password"})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, login.StatusCode(), "%s", login.Body)
	api = client(t, c.Gateway(0).BaseURL, login.JSON201.Token)
	conv, err := api.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindChannel,
		Title: ptr("harness"), MemberIds: &[]string{}})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, conv.StatusCode(), "%s", conv.Body)

	seq := int64(0)
	send := func(step string) {
		t.Helper()
		seq++
		id := fmt.Sprintf("m-%d", seq)
		r, err := api.SendMessageWithResponse(ctx, conv.JSON201.Id, sdk.SendMessageRequest{ClientMsgId: &id, Body: step})
		require.NoError(t, err, step)
		require.Equal(t, http.StatusCreated, r.StatusCode(), "%s: %s", step, r.Body)
		require.Equal(t, seq, r.JSON201.Seq, step)
	}
	send("all up")

	c.Worker(0).Kill()
	c.WaitWorkers(t, 1)
	send("a worker killed")

	c.RestartRedis(t)
	c.RestartPostgres(t)
	c.WaitReady(t)
	send("redis and postgres restarted")

	c.Broker().Kill()
	c.Broker().Restart()
	c.WaitReady(t)
	send("broker killed and restarted on its data")

	c.Worker(0).Restart()
	c.WaitWorkers(t, 2)
	send("worker back")

	h, err := api.ListMessagesWithResponse(ctx, conv.JSON201.Id, &sdk.ListMessagesParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, h.StatusCode(), "%s", h.Body)
	require.Len(t, h.JSON200.Items, int(seq))
	for i, m := range h.JSON200.Items {
		require.Equal(t, int64(i+1), m.Seq)
	}
}

func client(t *testing.T, baseURL, token string) *sdk.ClientWithResponses {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	opts := []sdk.ClientOption{sdk.WithHTTPClient(hc)}
	if token != "" {
		opts = append(opts, sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := sdk.NewClientWithResponses(baseURL, opts...)
	require.NoError(t, err)
	return c
}

func ptr[T any](v T) *T { return &v }
