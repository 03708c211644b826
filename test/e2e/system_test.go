package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// metric returns the value of an unlabelled sample in a Prometheus text exposition (-1 when absent).
func metric(t *testing.T, s *server, name string) float64 {
	t.Helper()
	r, err := s.raw(t, http.MethodGet, "/metrics", "", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status)
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return f
		}
	}
	return -1
}

func TestSystem(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	anon := s.client(t, "")

	t.Run("healthz", func(t *testing.T) {
		r, err := anon.HealthzWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.HealthStatus("ok"), r.JSON200.Status)
	})

	t.Run("readyz", func(t *testing.T) {
		r, err := anon.ReadyzWithResponse(ctx)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.ReadinessStatus("ok"), r.JSON200.Status)
		require.NotEmpty(t, r.JSON200.Checks, "readiness pings the storage")
		for name, result := range r.JSON200.Checks {
			assert.Equal(t, "ok", result, name)
		}
	})

	t.Run("metrics count sent messages", func(t *testing.T) {
		assert.Equal(t, float64(0), metric(t, s, "scalechat_messages_sent_total"))
		alice := s.signUp(t, "alice")
		g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Metrics")
		var last sdk.Message
		for range 3 {
			last = alice.send(t, g.Id, "counted")
		}
		retry, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: &last.ClientMsgId, Body: last.Body})
		wantStatus(t, retry, err, http.StatusOK)
		bad, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{Body: ""})
		wantProblem(t, bad, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		assert.Equal(t, float64(3), metric(t, s, "scalechat_messages_sent_total"), "retries and rejected sends are not counted")

		r, err := s.raw(t, http.MethodGet, "/metrics", "", nil)
		require.NoError(t, err)
		body := string(r.body)
		assert.Contains(t, body, "# TYPE scalechat_messages_sent_total counter")
		assert.Contains(t, body, `scalechat_http_requests_total{operation="sendMessage",status="201"} 3`)
		assert.Contains(t, body, `scalechat_http_requests_total{operation="sendMessage",status="200"} 1`)
		assert.Contains(t, body, `scalechat_http_requests_total{operation="sendMessage",status="400"} 1`)
		assert.Contains(t, body, "scalechat_http_request_duration_seconds_bucket")
	})

	t.Run("unknown paths answer a 404 problem", func(t *testing.T) {
		r, err := s.raw(t, http.MethodGet, "/v2/anything", "", nil)
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
	})
}
