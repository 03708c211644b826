package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// fixtureConcurrency bounds the REST calls in flight while setting up: enough to keep a server busy, few
// enough not to queue for seconds.
const fixtureConcurrency = 16

// restClient calls the REST API of a target, round robin over its origins.
type restClient struct {
	http *http.Client
	urls []string
	rr   atomic.Uint64
}

func newRESTClient(urls []string) *restClient {
	return &restClient{urls: urls, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}}
}

// next returns the origin for the next call.
func (r *restClient) next() string { return r.urls[int(r.rr.Add(1)-1)%len(r.urls)] }

// do sends one request to base and decodes a JSON answer into out; a status not in want is an error that
// quotes the problem document.
func (r *restClient) do(ctx context.Context, base, token, method, path string, body, out any, want ...int) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if !slices.Contains(want, resp.StatusCode) {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d: %.300s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// user is an account with a live token.
type user struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Token string `json:"-"`
}

// group is a private conversation of GroupSize consecutive pool users.
type group struct {
	ID      string
	Members []int // pool indices
}

// fixture holds one target's accounts and conversations, created on demand and reused by later scenarios
// (membership is set up before any socket connects: every join is an event to the room).
type fixture struct {
	api      *restClient
	prefix   string // makes usernames unique per run
	users    []user // the pool: scenarios use a prefix of it
	groups   []group
	channels map[int]string // channel id by member count
	extra    int            // dedicated users made so far
}

func newFixture(urls []string) *fixture {
	return &fixture{api: newRESTClient(urls), prefix: "b" + strconv.FormatInt(time.Now().Unix()%1e6, 36),
		channels: map[int]string{}}
}

// parallel runs fn(0..n-1) with bounded concurrency and returns the first error (the rest are skipped).
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, fixtureConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}

const password = "benchmark-pw"

// register creates an account and logs it in.
func (f *fixture) register(ctx context.Context, name string) (user, error) {
	base := f.api.next()
	var u struct {
		ID string `json:"id"`
	}
	if _, err := f.api.do(ctx, base, "", http.MethodPost, "/v1/users",
		map[string]string{"username": name, "password": password}, &u, http.StatusCreated); err != nil {
		return user{}, err
	}
	var s struct {
		Token string `json:"token"`
	}
	if _, err := f.api.do(ctx, base, "", http.MethodPost, "/v1/sessions",
		map[string]string{"username": name, "password": password}, &s, http.StatusCreated); err != nil {
		return user{}, err
	}
	return user{ID: u.ID, Name: name, Token: s.Token}, nil
}

// ensureUsers grows the pool to n users.
func (f *fixture) ensureUsers(ctx context.Context, n int) error {
	have := len(f.users)
	if n <= have {
		return nil
	}
	fresh := make([]user, n-have)
	err := parallel(ctx, len(fresh), func(ctx context.Context, i int) error {
		u, err := f.register(ctx, fmt.Sprintf("%s-u%d", f.prefix, have+i))
		fresh[i] = u
		return err
	})
	if err != nil {
		return fmt.Errorf("registering users: %w", err)
	}
	f.users = append(f.users, fresh...)
	return nil
}

// newUsers registers n users outside the pool (for scenarios that must not share them).
func (f *fixture) newUsers(ctx context.Context, label string, n int) ([]user, error) {
	out := make([]user, n)
	first := f.extra
	f.extra += n
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		u, err := f.register(ctx, fmt.Sprintf("%s-%s%d", f.prefix, label, first+i))
		out[i] = u
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("registering %s users: %w", label, err)
	}
	return out, nil
}

// conversation creates a conversation as owner and returns its id.
func (f *fixture) conversation(ctx context.Context, owner user, body map[string]any) (string, error) {
	var c struct {
		ID string `json:"id"`
	}
	if _, err := f.api.do(ctx, f.api.next(), owner.Token, http.MethodPost, "/v1/conversations", body, &c,
		http.StatusCreated); err != nil {
		return "", err
	}
	return c.ID, nil
}

// ensureGroups makes sure the first n pool users are in groups of size (the last one may be smaller).
func (f *fixture) ensureGroups(ctx context.Context, n, size int) error {
	if err := f.ensureUsers(ctx, n); err != nil {
		return err
	}
	have := len(f.groups)
	want := (n + size - 1) / size
	if want <= have {
		return nil
	}
	fresh := make([]group, want-have)
	err := parallel(ctx, len(fresh), func(ctx context.Context, k int) error {
		g := have + k
		var members []int
		var ids []string
		for i := g * size; i < min((g+1)*size, len(f.users)); i++ {
			members = append(members, i)
			if i != g*size {
				ids = append(ids, f.users[i].ID)
			}
		}
		id, err := f.conversation(ctx, f.users[g*size], map[string]any{"kind": "group",
			"title": fmt.Sprintf("bench group %d", g), "memberIds": ids})
		fresh[k] = group{ID: id, Members: members}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating groups: %w", err)
	}
	f.groups = append(f.groups, fresh...)
	return nil
}

// groupOf returns the group of pool user i.
func (f *fixture) groupOf(i int, size int) group { return f.groups[i/size] }

// channel returns a channel whose members are the first n pool users (created once per size).
func (f *fixture) channel(ctx context.Context, n int) (string, error) {
	if id, ok := f.channels[n]; ok {
		return id, nil
	}
	if err := f.ensureUsers(ctx, n); err != nil {
		return "", err
	}
	owner := f.users[0]
	id, err := f.conversation(ctx, owner, map[string]any{"kind": "channel", "title": fmt.Sprintf("bench fan-out %d", n)})
	if err != nil {
		return "", err
	}
	// addMembers takes 100 users a request; the requests run a few at a time (one conversation's changes are
	// sequenced one after another anyway).
	const batch = 100
	batches := (n - 1 + batch - 1) / batch
	err = parallel(ctx, batches, func(ctx context.Context, k int) error {
		var ids []string
		for i := 1 + k*batch; i < min(1+(k+1)*batch, n); i++ {
			ids = append(ids, f.users[i].ID)
		}
		_, err := f.api.do(ctx, f.api.next(), owner.Token, http.MethodPost, "/v1/conversations/"+id+"/members",
			map[string]any{"userIds": ids}, nil, http.StatusOK)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("adding channel members: %w", err)
	}
	f.channels[n] = id
	return id, nil
}

// direct opens a direct conversation between a and b.
func (f *fixture) direct(ctx context.Context, a, b user) (string, error) {
	return f.conversation(ctx, a, map[string]any{"kind": "direct", "memberIds": []string{b.ID}})
}

// lastSeq returns a conversation's last seq as a member sees it.
func (f *fixture) lastSeq(ctx context.Context, member user, conv string) (int64, error) {
	var c struct {
		LastSeq int64 `json:"lastSeq"`
	}
	_, err := f.api.do(ctx, f.api.next(), member.Token, http.MethodGet, "/v1/conversations/"+conv, nil, &c, http.StatusOK)
	return c.LastSeq, err
}
