package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/adapters/argon2id"
	"github.com/scalechat/scalechat/adapters/blobfs"
	"github.com/scalechat/scalechat/adapters/clientaddr"
	"github.com/scalechat/scalechat/adapters/memory"
	"github.com/scalechat/scalechat/adapters/rest"
	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/adapters/telemetry"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
	"github.com/scalechat/scalechat/ports"
)

// env is a REST API over a real chat.Service wired to the in-process adapters.
type env struct {
	t       testing.TB
	srv     *httptest.Server
	svc     *chat.Service
	metrics *rest.Metrics
	logs    *syncBuffer
}

type envOptions struct {
	chat        chat.Config
	noSequencer bool // sends are never sequenced
	checks      map[string]ports.Pinger
	readyWait   time.Duration // readiness timeout per check (0: the default)
	rest        rest.Config
	plainHasher bool   // no password makes the hasher fail (fuzzing sends any password)
	blobDir     string // where attachments go (default: a temporary directory)
}

// hasherOf is h, or h failing on explodingPassword unless plain.
func hasherOf(h ports.PasswordHasher, plain bool) ports.PasswordHasher {
	if plain {
		return h
	}
	return failingHasher{h}
}

// explodingPassword makes the test hasher fail with an uncategorised (internal) error.
const explodingPassword = "explode-the-hasher"

// failingHasher fails on one password, to provoke an internal error.
type failingHasher struct{ ports.PasswordHasher }

func (h failingHasher) Hash(ctx context.Context, p string) (string, error) {
	if p == explodingPassword {
		return "", errors.New("secret driver detail: disk on fire")
	}
	return h.PasswordHasher.Hash(ctx, p)
}

func newEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hasher, err := argon2id.New(argon2id.TestConfig(), 64)
	require.NoError(t, err)
	store, log, fanout, clock := memory.NewStore(), memory.NewLog(memory.LogConfig{}), memory.NewFanout(), memory.SystemClock{}
	var summaries ports.SummaryStore = summaryShim{store}
	if ss, ok := any(store).(ports.SummaryStore); ok {
		summaries = ss
	}
	if opts.blobDir == "" {
		opts.blobDir = t.TempDir()
	}
	blobs, err := blobfs.Open(opts.blobDir)
	require.NoError(t, err)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	if opts.chat.Limits == nil { // every client of a test is 127.0.0.1: per-address limits only where a test sets them
		opts.chat.Limits, err = chat.ParseLimits(chat.DefaultLimits(), "login-ip=off,register-ip=off,handshake-ip=off")
		require.NoError(t, err)
	}
	svc, err := chat.New(ctx, opts.chat, chat.Deps{
		Users: store, APIKeys: store, Moderation: store, Webhooks: store, Sessions: store, Conversations: store, Members: store, Contacts: store, Blocks: store, Attachments: store, Threads: store, Blobs: blobs, Summaries: summaries, History: store, Search: store,
		Ledger: store, Log: log, Fanout: fanout, Limiter: memory.NewRateLimiter(clock),
		Presence: memory.NewPresence(clock), Hasher: hasherOf(hasher, opts.plainHasher), Clock: clock, IDs: memory.UUIDv7{},
		Logger: logger,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	if !opts.noSequencer {
		seq := chat.NewSequencer(store, fanout, logger)
		done := make(chan struct{})
		go func() { defer close(done); _ = log.Consume(ctx, seq.Handle) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	metrics, err := rest.NewMetrics(telemetry.NewRegistry())
	require.NoError(t, err)
	ready, err := telemetry.NewChecker(opts.checks, opts.readyWait, logger)
	require.NoError(t, err)
	opts.rest.Logger = logger
	api, err := rest.New(opts.rest, svc, ready, metrics)
	require.NoError(t, err)
	mux := http.NewServeMux()
	api.Mount(mux)
	srv := httptest.NewServer(clientaddr.Middleware("", mux))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, svc: svc, metrics: metrics, logs: logs}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; body is JSON-encoded unless it is a string (sent as is).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// decode unmarshals the body into a T, requiring the status first.
func decode[T any](t testing.TB, r response, status int) T {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// problem is a decoded problem+json body.
type problem struct {
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail"`
	Code         string `json:"code"`
	RetryAfterMs int64  `json:"retryAfterMs"`
	Errors       []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// requireProblem checks r is a problem+json with status and code.
func requireProblem(t testing.TB, r response, status int, code string) problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), "body: %s", r.body)
	p := decode[problem](t, r, status)
	require.Equal(t, status, p.Status)
	require.Equal(t, code, p.Code)
	require.Equal(t, http.StatusText(status), p.Title)
	return p
}

// user is a registered, logged-in account.
type user struct {
	id, token string
}

// signUp registers and logs in a user.
func (e *env) signUp(name string) user {
	e.t.Helper()
	u := decode[schema.User](e.t, e.do("POST", "/v1/users", "", map[string]string{"username": name, "password": "password-" + name}), 201)
	s := decode[rest.Session](e.t, e.do("POST", "/v1/sessions", "", map[string]string{"username": name, "password": "password-" + name}), 201)
	require.Equal(e.t, u.ID, s.User.ID)
	return user{id: u.ID, token: s.Token}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// summaryShim serves ports.SummaryStore from ConversationsOf, for as long as the memory store lacks Summary.
type summaryShim struct{ ports.MemberStore }

func (s summaryShim) Summary(ctx context.Context, conversationID, userID string) (core.Summary, error) {
	page := core.PageRequest{Limit: core.MaxHistoryLimit}
	for {
		p, err := s.ConversationsOf(ctx, userID, page)
		if err != nil {
			return core.Summary{}, err
		}
		for _, sum := range p.Items {
			if sum.ID == conversationID {
				return sum, nil
			}
		}
		if p.Next == "" {
			return core.Summary{}, core.ErrNotFound
		}
		page.Cursor = p.Next
	}
}

// pinger is a readiness check with a fixed answer.
type pinger struct{ err error }

func (p pinger) Ping(ctx context.Context) error { return p.err }

// waitFor polls cond until it holds or a second passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, time.Second, 5*time.Millisecond)
}
