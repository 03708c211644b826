package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// maxBody is the --max-body-bytes of TestBadInput's server: a 4000-character message (even of 2-byte
// characters) fits, 20 KB do not.
const maxBody = 16 << 10

// problemText is a problem's detail and field errors as one string.
func problemText(p sdk.Problem) string {
	var b strings.Builder
	if p.Detail != nil {
		b.WriteString(*p.Detail)
	}
	if p.Errors != nil {
		for _, e := range *p.Errors {
			if e.Location != nil {
				fmt.Fprintf(&b, "; %s", *e.Location)
			}
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	}
	return b.String()
}

// snapshot is everything a bad request could have changed, as alice sees it.
type snapshot struct {
	Users   []sdk.User
	Conv    sdk.Conversation
	Members map[string]sdk.MemberRole
	History []sdk.Message
	Events  []sdk.Event
	Convs   []sdk.Conversation
}

func (u *user) snapshot(t testing.TB, convID string) snapshot {
	t.Helper()
	return snapshot{Users: u.allUsers(t, "", 200), Conv: u.conversation(t, convID), Members: u.members(t, convID, 200),
		History: u.history(t, convID, 0), Events: u.events(t, convID, 0), Convs: u.allConversations(t, 200)}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--max-body-bytes", strconv.Itoa(maxBody), "--send-rate-limit", "20", "--send-rate-per", "1h")
	ctx := t.Context()
	anon := s.client(t, "")
	alice, bob := s.signUp(t, "alice"), s.signUp(t, "bob")
	g := alice.create(t, sdk.CreateConversationRequestKindGroup, "Bad input", bob)
	first := alice.send(t, g.Id, "first")
	state := alice.snapshot(t, g.Id)

	// unchanged requires that nothing visible changed since the last call (or the last accepted change).
	unchanged := func(t *testing.T) {
		t.Helper()
		assert.Equal(t, state, alice.snapshot(t, g.Id), "a rejected request changed nothing")
	}
	// accepted records a legitimate change.
	accepted := func(t *testing.T) {
		t.Helper()
		state = alice.snapshot(t, g.Id)
	}
	send := func(body string) (*sdk.SendMessageResponse, error) {
		return alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{Body: body})
	}
	messages := "/v1/conversations/" + g.Id + "/messages"

	t.Run("message bodies", func(t *testing.T) {
		for name, body := range map[string]string{
			"empty":              "",
			"white space":        " \n\t \r\n ",
			"4001 characters":    strings.Repeat("x", 4001),
			"4001 2-byte chars":  strings.Repeat("é", 4001),
			"control characters": "bell\x07",
			"NUL":                "nul\x00",
		} {
			t.Run(name, func(t *testing.T) {
				r, err := send(body)
				p := wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
				require.NotNil(t, p.Detail)
				unchanged(t)
			})
		}
		t.Run("4000 characters are fine", func(t *testing.T) {
			for _, body := range []string{strings.Repeat("x", 4000), strings.Repeat("é", 4000)} {
				m := alice.send(t, g.Id, body)
				assert.Equal(t, body, m.Body)
			}
			accepted(t)
			assert.Equal(t, first, state.History[0])
		})
		t.Run("edit to an invalid body", func(t *testing.T) {
			for _, body := range []string{"", "   ", strings.Repeat("x", 4001)} {
				r, err := alice.c.EditMessageWithResponse(ctx, g.Id, first.Id, sdk.EditMessageRequest{Body: body})
				wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			}
			unchanged(t)
		})
		t.Run("invalid clientMsgId", func(t *testing.T) {
			for _, id := range []string{"has space", "slash/y", strings.Repeat("k", 65), "ünï"} {
				r, err := alice.c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{ClientMsgId: &id, Body: "hi"})
				wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			}
			unchanged(t)
		})
	})

	t.Run("malformed requests", func(t *testing.T) {
		for name, body := range map[string]string{
			"non-string body":    `{"body": 5}`,
			"null body":          `{"body": null}`,
			"malformed JSON":     `{"body": "hi"`,
			"not an object":      `["hi"]`,
			"a bare string":      `"hi"`,
			"unknown field":      `{"body": "hi", "colour": "red"}`,
			"missing body":       `{"clientMsgId": "x-1"}`,
			"empty request body": ``,
			"trailing garbage":   `{"body": "hi"} {"body": "again"}`,
		} {
			t.Run(name, func(t *testing.T) {
				r, err := s.raw(t, http.MethodPost, messages, alice.Token, strings.NewReader(body))
				wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
				unchanged(t)
			})
		}
	})

	t.Run("bodies over --max-body-bytes get 413 everywhere", func(t *testing.T) {
		big := `{"body": "` + strings.Repeat("x", maxBody+10) + `"}`
		for _, req := range []struct{ method, path, token string }{
			{http.MethodPost, messages, alice.Token},
			{http.MethodPatch, messages + "/" + first.Id, alice.Token},
			{http.MethodPost, "/v1/users", ""},
			{http.MethodPost, "/v1/sessions", ""},
			{http.MethodPost, "/v1/conversations", alice.Token},
			{http.MethodPatch, "/v1/conversations/" + g.Id, alice.Token},
			{http.MethodPost, "/v1/conversations/" + g.Id + "/members", alice.Token},
			{http.MethodPatch, "/v1/conversations/" + g.Id + "/members/" + bob.ID, alice.Token},
			{http.MethodPost, "/v1/conversations/" + g.Id + "/read", alice.Token},
		} {
			t.Run(req.method+" "+req.path, func(t *testing.T) {
				r, err := s.raw(t, req.method, req.path, req.token, strings.NewReader(big))
				wantProblem(t, r, err, http.StatusRequestEntityTooLarge, sdk.ProblemCodeTooLarge)
				unchanged(t)
			})
		}
	})

	t.Run("an oversized body without Content-Length gets 413 too", func(t *testing.T) {
		big := `{"body": "` + strings.Repeat("x", maxBody+10) + `"}`
		chunked := io.MultiReader(strings.NewReader(big)) // unknown length: sent chunked
		r, err := s.raw(t, http.MethodPost, messages, alice.Token, chunked)
		wantProblem(t, r, err, http.StatusRequestEntityTooLarge, sdk.ProblemCodeTooLarge)
		unchanged(t)
	})

	t.Run("malformed JSON and unknown fields everywhere", func(t *testing.T) {
		for _, req := range []struct{ method, path, token, valid string }{
			{http.MethodPatch, messages + "/" + first.Id, alice.Token, `{"body": "edited"`},
			{http.MethodPost, "/v1/users", "", `{"username": "zed", "password": "zed-password"`},
			{http.MethodPost, "/v1/sessions", "", `{"username": "alice", "password": "alice-password"`},
			{http.MethodPost, "/v1/conversations", alice.Token, `{"kind": "group", "title": "new"`},
			{http.MethodPatch, "/v1/conversations/" + g.Id, alice.Token, `{"title": "renamed"`},
			{http.MethodPost, "/v1/conversations/" + g.Id + "/members", alice.Token, `{"userIds": ["` + alice.ID + `"]`},
			{http.MethodPatch, "/v1/conversations/" + g.Id + "/members/" + bob.ID, alice.Token, `{"role": "admin"`},
			{http.MethodPost, "/v1/conversations/" + g.Id + "/read", alice.Token, `{"seq": 1`},
		} {
			t.Run(req.method+" "+req.path, func(t *testing.T) {
				r, err := s.raw(t, req.method, req.path, req.token, strings.NewReader(req.valid))
				wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
				r, err = s.raw(t, req.method, req.path, req.token, strings.NewReader(req.valid+`, "extra": true}`))
				p := wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
				assert.Contains(t, problemText(p), "extra", "the problem names the unknown field")
				unchanged(t)
			})
		}
		r, err := s.raw(t, http.MethodPost, "/v1/conversations/"+g.Id+"/read", alice.Token, strings.NewReader(`{"seq": "1"}`))
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		r, err = s.raw(t, http.MethodPost, "/v1/conversations", alice.Token, strings.NewReader(`{"title": "no kind"}`))
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		unchanged(t)
	})

	t.Run("unknown ids", func(t *testing.T) {
		notFound := func(r apiResponse, err error) {
			t.Helper()
			wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
		}
		notFound(alice.c.GetConversationWithResponse(ctx, "no-such-conversation"))
		notFound(alice.c.SendMessageWithResponse(ctx, "no-such-conversation", sdk.SendMessageRequest{Body: "hi"}))
		notFound(alice.c.ListMessagesWithResponse(ctx, "no-such-conversation", nil))
		notFound(alice.c.ListEventsWithResponse(ctx, "no-such-conversation", nil))
		notFound(alice.c.ListMembersWithResponse(ctx, "no-such-conversation", nil))
		notFound(alice.c.JoinConversationWithResponse(ctx, "no-such-conversation"))
		notFound(alice.c.MarkReadWithResponse(ctx, "no-such-conversation", sdk.MarkReadRequest{Seq: 0}))
		notFound(alice.c.EditMessageWithResponse(ctx, g.Id, "no-such-message", sdk.EditMessageRequest{Body: "x"}))
		notFound(alice.c.DeleteMessageWithResponse(ctx, g.Id, "no-such-message"))
		notFound(alice.c.GetUserWithResponse(ctx, "no-such-user"))
		notFound(alice.c.RemoveMemberWithResponse(ctx, g.Id, "no-such-user"))
		notFound(alice.c.UpdateMemberWithResponse(ctx, g.Id, "no-such-user", sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleAdmin}))
		r, err := s.raw(t, http.MethodGet, "/v1/nothing/here", alice.Token, nil)
		notFound(r, err)
		unchanged(t)
	})

	t.Run("query parameters out of range", func(t *testing.T) {
		bad := func(r apiResponse, err error) {
			t.Helper()
			wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		}
		neg := ptr[int64](-1)
		bad(alice.c.ListMessagesWithResponse(ctx, g.Id, &sdk.ListMessagesParams{Limit: neg}))
		bad(alice.c.ListMessagesWithResponse(ctx, g.Id, &sdk.ListMessagesParams{Limit: ptr[int64](201)}))
		bad(alice.c.ListMessagesWithResponse(ctx, g.Id, &sdk.ListMessagesParams{Before: neg}))
		bad(alice.c.ListMessagesWithResponse(ctx, g.Id, &sdk.ListMessagesParams{After: neg}))
		bad(alice.c.ListEventsWithResponse(ctx, g.Id, &sdk.ListEventsParams{Limit: neg}))
		bad(alice.c.ListEventsWithResponse(ctx, g.Id, &sdk.ListEventsParams{Limit: ptr[int64](501)}))
		bad(alice.c.ListEventsWithResponse(ctx, g.Id, &sdk.ListEventsParams{After: neg}))
		bad(alice.c.ListConversationsWithResponse(ctx, &sdk.ListConversationsParams{Limit: neg}))
		bad(alice.c.ListChannelsWithResponse(ctx, &sdk.ListChannelsParams{Limit: neg}))
		bad(alice.c.ListMembersWithResponse(ctx, g.Id, &sdk.ListMembersParams{Limit: neg}))
		bad(alice.c.SearchUsersWithResponse(ctx, &sdk.SearchUsersParams{Limit: neg}))
		bad(alice.c.SearchUsersWithResponse(ctx, &sdk.SearchUsersParams{Q: ptr(strings.Repeat("q", 65))}))
		bad(alice.c.MarkReadWithResponse(ctx, g.Id, sdk.MarkReadRequest{Seq: -1}))
		r, err := s.raw(t, http.MethodGet, messages+"?limit=ten", alice.Token, nil)
		bad(r, err)
		unchanged(t)
	})

	t.Run("garbage cursors", func(t *testing.T) {
		for _, cursor := range []string{"garbage", "!!!", "eyJ4Ijox", "WzFd"} {
			r, err := alice.c.ListConversationsWithResponse(ctx, &sdk.ListConversationsParams{Cursor: &cursor})
			wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			r2, err := alice.c.SearchUsersWithResponse(ctx, &sdk.SearchUsersParams{Cursor: &cursor})
			wantProblem(t, r2, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			r3, err := alice.c.ListChannelsWithResponse(ctx, &sdk.ListChannelsParams{Cursor: &cursor})
			wantProblem(t, r3, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			r4, err := alice.c.ListMembersWithResponse(ctx, g.Id, &sdk.ListMembersParams{Cursor: &cursor})
			wantProblem(t, r4, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		}
	})

	t.Run("accounts", func(t *testing.T) {
		register := func(username, password string) (*sdk.RegisterUserResponse, error) {
			return anon.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: username, Password: password})
		}
		for _, name := range []string{"", "ab", strings.Repeat("a", 33), "has space", "émile", "a/b", "semi;colon", "tab\tname", "at@sign"} {
			r, err := register(name, "long enough password")
			p := wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
			require.NotNil(t, p.Errors, "invalid username %q", name)
			assert.Equal(t, "body.username", *(*p.Errors)[0].Location)
		}
		for _, pw := range []string{"", "short", "7chars!", strings.Repeat("p", 257)} {
			r, err := register("newcomer", pw)
			wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		}
		r, err := anon.RegisterUserWithResponse(ctx, sdk.RegisterRequest{Username: "newcomer", Password: "long enough",
			DisplayName: ptr(strings.Repeat("d", 65))})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		for _, dup := range []string{"alice", "ALICE", " Alice "} {
			r, err := register(dup, "another password")
			wantProblem(t, r, err, http.StatusConflict, sdk.ProblemCodeAlreadyExists)
		}
		unchanged(t)

		for _, creds := range []sdk.LoginRequest{
			{Username: "alice", Password: "wrong password"},
			{Username: "alice", Password: ""},
			{Username: "nobody", Password: "alice-password"},
			{Username: "", Password: ""},
		} {
			r, err := anon.CreateSessionWithResponse(ctx, creds)
			p := wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
			assert.Equal(t, "invalid username or password", *p.Detail, "the same answer whether or not the user exists")
		}
		s.login(t, "alice", alice.Password) // the original password still works
	})

	t.Run("missing or garbage bearer tokens", func(t *testing.T) {
		for name, header := range map[string]string{
			"missing":       "",
			"garbage":       "Bearer garbage",
			"empty":         "Bearer ",
			"wrong scheme":  "Basic " + alice.Token,
			"no scheme":     alice.Token,
			"huge":          "Bearer " + strings.Repeat("t", 4000),
			"altered token": "Bearer " + alice.Token + "x",
		} {
			t.Run(name, func(t *testing.T) {
				c, err := sdk.NewClientWithResponses(s.p.BaseURL, sdk.WithHTTPClient(s.http),
					sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
						if header != "" {
							req.Header.Set("Authorization", header)
						}
						return nil
					}))
				require.NoError(t, err)
				unauth := func(r apiResponse, err error) {
					t.Helper()
					wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
				}
				unauth(c.GetMeWithResponse(ctx))
				unauth(c.ListConversationsWithResponse(ctx, nil))
				unauth(c.SendMessageWithResponse(ctx, g.Id, sdk.SendMessageRequest{Body: "anonymous"}))
				unauth(c.CreateConversationWithResponse(ctx, sdk.CreateConversationRequest{Kind: sdk.CreateConversationRequestKindChannel, Title: ptr("x")}))
				unauth(c.DeleteCurrentSessionWithResponse(ctx))
				r, err := c.SearchUsersWithResponse(ctx, nil)
				unauth(r, err)
				assert.Equal(t, "Bearer", r.HTTPResponse.Header.Get("WWW-Authenticate"))
				unchanged(t)
			})
		}
	})

	t.Run("rate limit: 429 with Retry-After, and nothing stored", func(t *testing.T) {
		sp := s.signUp(t, "spammer")
		c := sp.create(t, sdk.CreateConversationRequestKindGroup, "Spam")
		accepted(t) // a new user
		var last sdk.Message
		for i := range 20 {
			last = sp.send(t, c.Id, fmt.Sprintf("spam %d", i))
		}
		r, err := sp.c.SendMessageWithResponse(ctx, c.Id, sdk.SendMessageRequest{Body: "one too many"})
		p := wantProblem(t, r, err, http.StatusTooManyRequests, sdk.ProblemCodeRateLimited)
		require.NotNil(t, p.RetryAfterMs)
		assert.Positive(t, *p.RetryAfterMs)
		retryAfter, err := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Positive(t, retryAfter)
		h := sp.history(t, c.Id, 0)
		assert.Len(t, h, 20)

		// A retry of a stored message costs nothing: it is still answered.
		retry, err := sp.c.SendMessageWithResponse(ctx, c.Id, sdk.SendMessageRequest{ClientMsgId: &last.ClientMsgId, Body: last.Body})
		wantStatus(t, retry, err, http.StatusOK)
		assert.Equal(t, last, *retry.JSON200)
		unchanged(t) // other users are not affected, and alice's view did not change
		alice.send(t, g.Id, "alice is not limited")
		accepted(t)
	})
}
