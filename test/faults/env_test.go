package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/cluster/clusterharness"
	"github.com/scalechat/scalechat/test/harness"
)

// Bounds of the waits of these tests. They are generous: race-built processes on a loaded machine answer slowly
// at times, and a fault's recovery takes a session timeout, a rebalance or a reconnect backoff. Nothing asserts
// on timing; a bound only turns a hang into a failure.
const (
	requestTimeout  = 30 * time.Second  // one HTTP request (a send waits up to the 5 s ack timeout, plus lookups)
	ackTimeout      = 30 * time.Second  // one Socket.IO ack
	dialTimeout     = 20 * time.Second  // one Socket.IO connection, handshake and first sync
	messageDeadline = 150 * time.Second // one message, over all its retries
	phaseTimeout    = 150 * time.Second // a load phase reaching its count of acknowledged messages
	settleTimeout   = 150 * time.Second // acknowledged messages appearing, the listener catching up
)

// ids makes user names unique within the test process.
var ids atomic.Int64

// gateway is one gateway process with an HTTP client of its own.
type gateway struct {
	name string
	p    *harness.Process
	http *http.Client
}

// api returns an SDK client of g sending token as a bearer token (none when empty).
func (g *gateway) api(t testing.TB, token string) *sdk.ClientWithResponses {
	t.Helper()
	opts := []sdk.ClientOption{sdk.WithHTTPClient(g.http)}
	if token != "" {
		opts = append(opts, sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := sdk.NewClientWithResponses(g.p.BaseURL, opts...)
	require.NoError(t, err)
	return c
}

// user is a registered, logged-in account (its token is valid on every gateway).
type user struct {
	ID    string
	Name  string
	Token string
}

// env is a running cluster with the accounts and conversations of one fault test.
type env struct {
	t        *testing.T
	c        *clusterharness.Cluster
	gws      []*gateway
	senders  []*user // REST senders
	sockUser *user   // the socket sender
	listener *user   // the listening client; creator of every conversation
	convs    []string
}

// newEnv starts a cluster of 2 gateways and 2 workers (plus opts) and sets up 3 REST senders, a socket sender
// and a listener, all members of nConvs group conversations.
func newEnv(t *testing.T, opts clusterharness.Options, nConvs int) *env {
	t.Helper()
	opts.Gateways, opts.Workers = 2, 2
	c := clusterharness.Start(t, opts)
	e := &env{t: t, c: c}
	for i, p := range c.Gateways() {
		g := &gateway{name: fmt.Sprintf("gateway-%d", i+1), p: p,
			http: &http.Client{Transport: &http.Transport{}, Timeout: requestTimeout}}
		t.Cleanup(g.http.CloseIdleConnections)
		e.gws = append(e.gws, g)
	}
	for i := range 3 {
		e.senders = append(e.senders, e.signUp(fmt.Sprintf("rest%d_", i)))
	}
	e.sockUser = e.signUp("sock_")
	e.listener = e.signUp("listen_")
	for range nConvs {
		e.convs = append(e.convs, e.createConv())
	}
	return e
}

// signUp registers a user named prefix plus a unique suffix and logs in.
func (e *env) signUp(prefix string) *user {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	a := harness.SignUp(t, ctx, e.gws[0].api(t, ""), fmt.Sprintf("%s%d", prefix, ids.Add(1)))
	return &user{ID: a.ID, Name: a.Username, Token: a.Token}
}

// createConv creates a group conversation of the listener with every sender.
func (e *env) createConv() string {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	members := []string{e.sockUser.ID}
	for _, u := range e.senders {
		members = append(members, u.ID)
	}
	title := fmt.Sprintf("faults %d", ids.Add(1))
	r, err := e.gws[1].api(t, e.listener.Token).CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{
		Kind: sdk.CreateConversationRequestKindGroup, Title: &title, MemberIds: &members})
	wantStatus(t, r, err, http.StatusCreated)
	return r.JSON201.Id
}

// pick returns the gateway a client that prefers gateway prefer is sent to: that one while it runs, else the
// next one that runs — what a load balancer with health checks does. A failed connection to a running gateway
// is simply tried again there.
func (e *env) pick(prefer int) *gateway {
	for i := range e.gws {
		if g := e.gws[(prefer+i)%len(e.gws)]; g.p.Running() {
			return g
		}
	}
	return e.gws[prefer%len(e.gws)] // none runs: fail there, and try again
}

// running returns the gateways whose process runs.
func (e *env) running() []*gateway {
	var out []*gateway
	for _, g := range e.gws {
		if g.p.Running() {
			out = append(out, g)
		}
	}
	return out
}

// apiResponse is what every generated response offers.
type apiResponse interface {
	StatusCode() int
	GetBody() []byte
}

func wantStatus(t testing.TB, r apiResponse, err error, status int) {
	t.Helper()
	require.NoError(t, err)
	require.Equal(t, status, r.StatusCode(), "unexpected status; body: %s", r.GetBody())
}
