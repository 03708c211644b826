package rest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/ports"
)

// slowPinger answers only when its context ends.
type slowPinger struct{}

func (slowPinger) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	h := decode[telemetry.Health](t, e.do("GET", "/healthz", "", nil), 200)
	assert.Equal(t, "ok", h.Status)
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := newEnv(t, envOptions{checks: map[string]ports.Pinger{"db": pinger{}, "cache": pinger{}}})
	r := decode[telemetry.Readiness](t, ok.do("GET", "/readyz", "", nil), 200)
	assert.Equal(t, telemetry.Readiness{Status: "ok", Checks: map[string]string{"db": "ok", "cache": "ok"}}, r)

	bad := newEnv(t, envOptions{
		checks:    map[string]ports.Pinger{"db": pinger{}, "broker": pinger{errors.New("broker down")}, "slow": slowPinger{}},
		readyWait: 20 * time.Millisecond,
	})
	start := time.Now()
	r = decode[telemetry.Readiness](t, bad.do("GET", "/readyz", "", nil), 503)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, "unavailable", r.Status)
	assert.Equal(t, "ok", r.Checks["db"])
	assert.Equal(t, "broker down", r.Checks["broker"])
	assert.Contains(t, r.Checks["slow"], "deadline")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	alice := e.signUp("alice")
	conv := decode[schema.Conversation](t, e.do("POST", "/v1/conversations", alice.token,
		map[string]any{"kind": "group", "title": "g"}), 201)
	for range 2 { // the retry is not a new message
		e.do("POST", "/v1/conversations/"+conv.ID+"/messages", alice.token, map[string]string{"clientMsgId": "a", "body": "hi"})
	}
	e.do("GET", "/v1/users/me", "", nil)

	r := e.do("GET", "/metrics", "", nil)
	require.Equal(t, 200, r.status)
	text := string(r.body)
	assert.Contains(t, text, `scalechat_http_requests_total{operation="registerUser",status="201"} 1`)
	assert.Contains(t, text, `scalechat_http_requests_total{operation="sendMessage",status="201"} 1`)
	assert.Contains(t, text, `scalechat_http_requests_total{operation="sendMessage",status="200"} 1`)
	assert.Contains(t, text, `scalechat_http_requests_total{operation="getMe",status="401"} 1`)
	assert.Contains(t, text, `scalechat_http_request_duration_seconds_bucket{operation="createSession",status="201"`)
	assert.Contains(t, text, "scalechat_messages_sent_total 1")
	assert.Contains(t, text, "go_goroutines")
}
