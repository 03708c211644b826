// Package e2e runs the real scalechat binary (standalone role, temporary data directory) as a separate
// process and drives it through the generated Go SDK, plus raw net/http where the SDK cannot express the
// input (malformed JSON, wrong types, oversized bodies).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/harness"
)

// server is one scalechat process and an HTTP client of its own (so that idle connections can be dropped
// after a restart).
type server struct {
	p    *harness.Process
	dir  string
	http *http.Client
	seq  atomic.Int64 // for unique clientMsgIds
}

// startServer runs `scalechat serve` on a fresh data directory. Rate limits are off unless args set them
// (--rate-limits, --send-rate-limit): these tests make many more writes per user than a person does, and the
// limits have tests of their own.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	all := []string{"--data-dir", dir}
	joined := strings.Join(args, " ")
	if !strings.Contains(joined, "--send-rate-limit") {
		all = append(all, "--send-rate-limit", "100000")
	}
	if !strings.Contains(joined, "--rate-limits") {
		all = append(all, "--rate-limits", "*=off")
	}
	all = append(all, args...)
	p := harness.Start(t, harness.Options{Args: all})
	s := &server{p: p, dir: dir, http: &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}}
	t.Cleanup(s.http.CloseIdleConnections)
	return s
}

// restart stops the process gracefully and starts it again on the same data directory and address.
func (s *server) restart(t *testing.T) {
	t.Helper()
	s.p.Stop()
	require.Equal(t, 0, s.p.ExitCode(), "a graceful stop exits 0")
	s.p.Restart()
	s.http.CloseIdleConnections()
}

// client returns an SDK client that sends token as a bearer token (none when token is empty).
func (s *server) client(t testing.TB, token string) *sdk.ClientWithResponses {
	t.Helper()
	opts := []sdk.ClientOption{sdk.WithHTTPClient(s.http)}
	if token != "" {
		opts = append(opts, sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := sdk.NewClientWithResponses(s.p.BaseURL, opts...)
	require.NoError(t, err)
	return c
}

// user is a registered, logged-in account.
type user struct {
	ID          string
	Username    string
	DisplayName string
	Password    string
	Token       string
	c           *sdk.ClientWithResponses
	s           *server
}

// signUp registers username (password username+"-password") and logs in.
func (s *server) signUp(t testing.TB, username string) *user {
	t.Helper()
	anon := s.client(t, "")
	password := username + "-password"
	display := strings.ToUpper(username[:1]) + username[1:] + " Example"
	r, err := anon.RegisterUserWithResponse(t.Context(), sdk.RegisterRequest{Username: username, Password: password,
		DisplayName: &display})
	wantStatus(t, r, err, http.StatusCreated)
	u := &user{ID: r.JSON201.Id, Username: r.JSON201.Username, DisplayName: r.JSON201.DisplayName, Password: password, s: s}
	u.Token = s.login(t, username, password).Token
	u.c = s.client(t, u.Token)
	return u
}

// login creates a session.
func (s *server) login(t testing.TB, username, password string) sdk.Session {
	t.Helper()
	r, err := s.client(t, "").CreateSessionWithResponse(t.Context(), sdk.LoginRequest{Username: username, Password: password})
	wantStatus(t, r, err, http.StatusCreated)
	return *r.JSON201
}

func ptr[T any](v T) *T { return &v }

// create makes a conversation of kind with title and the given other members.
func (u *user) create(t testing.TB, kind sdk.CreateConversationRequestKind, title string, members ...*user) sdk.Conversation {
	t.Helper()
	req := sdk.CreateConversationRequest{Kind: kind}
	if title != "" {
		req.Title = &title
	}
	ids := []string{}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	req.MemberIds = &ids
	r, err := u.c.CreateConversationWithResponse(t.Context(), req)
	wantStatus(t, r, err, http.StatusCreated)
	return *r.JSON201
}

// send sends body with a fresh clientMsgId and requires a 201.
func (u *user) send(t testing.TB, convID, body string) sdk.Message {
	t.Helper()
	id := fmt.Sprintf("t-%d", u.s.seq.Add(1))
	r, err := u.c.SendMessageWithResponse(t.Context(), convID, sdk.SendMessageRequest{ClientMsgId: &id, Body: body})
	wantStatus(t, r, err, http.StatusCreated)
	require.Equal(t, id, r.JSON201.ClientMsgId)
	return *r.JSON201
}

// conversation reads a conversation.
func (u *user) conversation(t testing.TB, convID string) sdk.Conversation {
	t.Helper()
	r, err := u.c.GetConversationWithResponse(t.Context(), convID)
	wantStatus(t, r, err, http.StatusOK)
	return *r.JSON200
}

// history walks the whole history backwards with pages of limit (0: the server's default) and returns it in
// ascending order, checking every page on the way.
func (u *user) history(t testing.TB, convID string, limit int64) []sdk.Message {
	t.Helper()
	var all []sdk.Message
	params := &sdk.ListMessagesParams{}
	if limit > 0 {
		params.Limit = &limit
	}
	for range 1000 {
		r, err := u.c.ListMessagesWithResponse(t.Context(), convID, params)
		wantStatus(t, r, err, http.StatusOK)
		page := r.JSON200.Items
		if limit > 0 {
			require.LessOrEqual(t, int64(len(page)), limit)
		}
		requireAscending(t, page)
		if len(all) > 0 && len(page) > 0 {
			require.Less(t, page[len(page)-1].Seq, all[0].Seq, "pages do not overlap")
		}
		all = append(append([]sdk.Message{}, page...), all...)
		if r.JSON200.Next == nil {
			return all
		}
		require.NotEmpty(t, page, "a page with a next cursor has items")
		before, err := strconv.ParseInt(*r.JSON200.Next, 10, 64)
		require.NoError(t, err)
		require.Equal(t, page[0].Seq, before, "next is the first seq of the page when paging backwards")
		params = &sdk.ListMessagesParams{Before: &before, Limit: params.Limit}
	}
	t.Fatal("history paging did not end")
	return nil
}

// events walks all events with pages of limit (0: the server's default).
func (u *user) events(t testing.TB, convID string, limit int64) []sdk.Event {
	t.Helper()
	var all []sdk.Event
	params := &sdk.ListEventsParams{}
	if limit > 0 {
		params.Limit = &limit
	}
	for range 1000 {
		r, err := u.c.ListEventsWithResponse(t.Context(), convID, params)
		wantStatus(t, r, err, http.StatusOK)
		all = append(all, r.JSON200.Items...)
		if r.JSON200.Next == nil {
			return all
		}
		after, err := strconv.ParseInt(*r.JSON200.Next, 10, 64)
		require.NoError(t, err)
		require.Equal(t, all[len(all)-1].Seq, after)
		params = &sdk.ListEventsParams{After: &after, Limit: params.Limit}
	}
	t.Fatal("event paging did not end")
	return nil
}

// requireDense checks that events are exactly seqs 1..n of conversation convID.
func requireDense(t testing.TB, convID string, events []sdk.Event) {
	t.Helper()
	for i, e := range events {
		require.Equal(t, int64(i+1), e.Seq, "event %d of %v", i, eventTypes(events))
		require.Equal(t, convID, e.ConversationId)
		require.NotEmpty(t, e.ActorId)
		require.False(t, e.At.IsZero())
	}
}

func eventTypes(events []sdk.Event) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, string(e.Type))
	}
	return out
}

func requireAscending(t testing.TB, msgs []sdk.Message) {
	t.Helper()
	for i := 1; i < len(msgs); i++ {
		require.Less(t, msgs[i-1].Seq, msgs[i].Seq, "history is in ascending seq order")
	}
}

func msgIDs(items []sdk.Message) []string {
	out := make([]string, 0, len(items))
	for _, m := range items {
		out = append(out, m.Id)
	}
	return out
}

func convIDs(items []sdk.Conversation) []string {
	out := make([]string, 0, len(items))
	for _, c := range items {
		out = append(out, c.Id)
	}
	return out
}

func userNames(items []sdk.User) []string {
	out := make([]string, 0, len(items))
	for _, u := range items {
		out = append(out, u.Username)
	}
	return out
}

// apiResponse is what every generated response (and rawResponse) offers.
type apiResponse interface {
	StatusCode() int
	ContentType() string
	GetBody() []byte
}

// wantStatus requires a call to have answered status.
func wantStatus(t testing.TB, r apiResponse, err error, status int) {
	t.Helper()
	require.NoError(t, err)
	require.Equal(t, status, r.StatusCode(), "unexpected status; body: %s", r.GetBody())
}

// wantProblem requires an RFC 9457 problem with status and code, and returns it.
func wantProblem(t testing.TB, r apiResponse, err error, status int, code sdk.ProblemCode) sdk.Problem {
	t.Helper()
	wantStatus(t, r, err, status)
	mt, _, perr := mime.ParseMediaType(r.ContentType())
	require.NoError(t, perr)
	require.Equal(t, "application/problem+json", mt)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.GetBody(), &raw), "problem body: %s", r.GetBody())
	require.Contains(t, raw, "code", "a problem has a code member: %s", r.GetBody())
	var p sdk.Problem
	require.NoError(t, json.Unmarshal(r.GetBody(), &p))
	require.Equal(t, code, p.Code, "problem: %s", r.GetBody())
	require.Equal(t, int64(status), p.Status)
	require.Equal(t, http.StatusText(status), p.Title)
	return p
}

// rawResponse is the answer of a request made without the SDK.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) StatusCode() int     { return r.status }
func (r rawResponse) ContentType() string { return r.header.Get("Content-Type") }
func (r rawResponse) GetBody() []byte     { return r.body }

// raw sends a request with a literal body (nil: none) and content type application/json.
func (s *server) raw(t testing.TB, method, path, token string, body io.Reader) (rawResponse, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.p.BaseURL+path, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}, err
}
