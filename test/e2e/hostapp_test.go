package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
	"github.com/scalechat/scalechat/test/hostapp"
)

// A host application embeds scalechat: its backend, with an admin API key, creates its users before they ever
// sign in, opens a conversation for two of them and posts into it as one; when the other signs in with the
// app's own token they are that user, and find it. The backend exports the conversation by seq. Nothing of it
// is open to users, and bad requests change nothing.
func TestHostApplicationThroughTheAdminAPI(t *testing.T) {
	t.Parallel()
	app := hostapp.New(t)
	s := startServer(t, app.Flags()...)
	ctx := t.Context()
	admin := s.client(t, strings.TrimSpace(s.cli(t, "apikey", "create", "admin", "host backend")))

	newUser := func(username, display, subject string) sdk.User {
		t.Helper()
		r, err := admin.AdminCreateUserWithResponse(ctx, sdk.AdminCreateUserRequest{Username: username, DisplayName: &display,
			ExternalSubject: &subject})
		wantStatus(t, r, err, http.StatusCreated)
		return *r.JSON201
	}
	grace := newUser("grace", "Grace Hopper", "emp-7")
	alan := newUser("alan", "Alan Turing", "emp-8")
	assert.False(t, grace.Bot)

	cr, err := admin.AdminCreateConversationWithResponse(ctx, sdk.AdminCreateConversationRequest{OwnerId: grace.Id,
		Kind: sdk.AdminCreateConversationRequestKindGroup, Title: ptr("Project X"), MemberIds: &[]string{alan.Id}})
	wantStatus(t, cr, err, http.StatusCreated)
	conv := cr.JSON201
	sr, err := admin.AdminSendMessageWithResponse(ctx, conv.Id, sdk.AdminSendMessageRequest{SenderId: grace.Id,
		Body: "Welcome to Project X", ClientMsgId: ptr("welcome-1")})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, sr.StatusCode(), string(sr.Body))
	again, err := admin.AdminSendMessageWithResponse(ctx, conv.Id, sdk.AdminSendMessageRequest{SenderId: grace.Id,
		Body: "Welcome to Project X", ClientMsgId: ptr("welcome-1")})
	wantStatus(t, again, err, http.StatusOK)
	assert.Equal(t, sr.JSON201.Id, again.JSON200.Id, "a retry by the backend is the same message")

	// Alan signs in for the first time with the app's token: he is the user made for him, in Project X.
	token := app.Token(t, hostapp.RS256, hostapp.Claims{Subject: "emp-8", Name: "Alan M. Turing", Username: "aturing"})
	ac := s.client(t, token)
	me, err := ac.GetMeWithResponse(ctx)
	wantStatus(t, me, err, http.StatusOK)
	assert.Equal(t, alan.Id, me.JSON200.Id)
	assert.Equal(t, "alan", me.JSON200.Username, "the user made by the backend, not a new one")
	hr, err := ac.ListMessagesWithResponse(ctx, conv.Id, nil)
	wantStatus(t, hr, err, http.StatusOK)
	require.Len(t, hr.JSON200.Items, 1)
	assert.Equal(t, "Welcome to Project X", hr.JSON200.Items[0].Body)
	assert.Equal(t, grace.Id, hr.JSON200.Items[0].SenderId)
	ar, err := ac.SendMessageWithResponse(ctx, conv.Id, sdk.SendMessageRequest{Body: "Thanks!", ClientMsgId: ptr("a-1")})
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusCreated, http.StatusAccepted}, ar.StatusCode(), string(ar.Body))

	// Deactivated, Alan cannot sign in by any means; his message stays. Reactivated, he can again.
	dr, err := admin.AdminDeactivateUserWithResponse(ctx, alan.Id)
	wantStatus(t, dr, err, http.StatusOK)
	require.NotNil(t, dr.JSON200.DeactivatedAt)
	for _, tok := range []string{token, app.Token(t, hostapp.HS256, hostapp.Claims{Subject: "emp-8"})} {
		r, err := s.client(t, tok).GetMeWithResponse(ctx)
		p := wantProblem(t, r, err, http.StatusUnauthorized, sdk.ProblemCodeUnauthenticated)
		assert.Contains(t, *p.Detail, "deactivated")
	}
	gh, err := admin.AdminSendMessageWithResponse(ctx, conv.Id, sdk.AdminSendMessageRequest{SenderId: alan.Id, Body: "as alan"})
	p := wantProblem(t, gh, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Contains(t, *p.Detail, "deactivated", "nor can the backend act as him")
	rr, err := admin.AdminReactivateUserWithResponse(ctx, alan.Id)
	wantStatus(t, rr, err, http.StatusOK)
	assert.Nil(t, rr.JSON200.DeactivatedAt)
	me, err = ac.GetMeWithResponse(ctx)
	wantStatus(t, me, err, http.StatusOK)

	// The export: every event by seq, densely, page by page.
	var events []sdk.Event
	params := &sdk.AdminExportEventsParams{Limit: ptr(int64(2))}
	for {
		er, err := admin.AdminExportEventsWithResponse(ctx, conv.Id, params)
		wantStatus(t, er, err, http.StatusOK)
		events = append(events, er.JSON200.Items...)
		if er.JSON200.Next == nil {
			break
		}
		after, err := strconv.ParseInt(*er.JSON200.Next, 10, 64)
		require.NoError(t, err)
		params.After = &after
	}
	requireDense(t, conv.Id, events)
	var bodies []string
	for _, e := range events {
		if e.Data.Message != nil {
			bodies = append(bodies, e.Data.Message.Body)
		}
	}
	assert.Equal(t, []string{"Welcome to Project X", "Thanks!"}, bodies)

	// Users cannot use any of it; bad requests change nothing.
	for _, op := range []func() (int, error){
		func() (int, error) {
			r, err := ac.AdminCreateUserWithResponse(ctx, sdk.AdminCreateUserRequest{Username: "mallory"})
			return code(r, err)
		},
		func() (int, error) {
			r, err := ac.AdminSendMessageWithResponse(ctx, conv.Id, sdk.AdminSendMessageRequest{SenderId: grace.Id, Body: "forged"})
			return code(r, err)
		},
		func() (int, error) {
			r, err := ac.AdminExportEventsWithResponse(ctx, conv.Id, nil)
			return code(r, err)
		},
	} {
		status, err := op()
		require.NoError(t, err)
		assert.Equal(t, http.StatusForbidden, status)
	}
	before := len(events)
	for name, r := range map[string]func() (int, error){
		"taken username": func() (int, error) {
			r, err := admin.AdminCreateUserWithResponse(ctx, sdk.AdminCreateUserRequest{Username: "grace"})
			return code(r, err)
		},
		"taken subject": func() (int, error) {
			r, err := admin.AdminCreateUserWithResponse(ctx, sdk.AdminCreateUserRequest{Username: "grace2", ExternalSubject: ptr("emp-7")})
			return code(r, err)
		},
		"unknown owner": func() (int, error) {
			r, err := admin.AdminCreateConversationWithResponse(ctx, sdk.AdminCreateConversationRequest{OwnerId: "nobody",
				Kind: sdk.AdminCreateConversationRequestKindGroup, Title: ptr("X")})
			return code(r, err)
		},
		"sender not a member": func() (int, error) {
			r, err := admin.AdminSendMessageWithResponse(ctx, conv.Id, sdk.AdminSendMessageRequest{SenderId: s.signUp(t, "outsider").ID,
				Body: "let me in"})
			return code(r, err)
		},
		"unknown conversation": func() (int, error) {
			r, err := admin.AdminExportEventsWithResponse(ctx, "nope", nil)
			return code(r, err)
		},
	} {
		status, err := r()
		require.NoError(t, err, name)
		assert.Contains(t, []int{http.StatusConflict, http.StatusNotFound, http.StatusForbidden}, status, name)
	}
	er, err := admin.AdminExportEventsWithResponse(ctx, conv.Id, &sdk.AdminExportEventsParams{Limit: ptr(int64(500))})
	wantStatus(t, er, err, http.StatusOK)
	assert.Len(t, er.JSON200.Items, before, "no event came of the refused requests")
}

// code is the status of a response, or the error of the call.
func code(r apiResponse, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return r.StatusCode(), nil
}
