package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// Moderation through the binary: the host backend's admin key makes Carol a system admin; a channel's admin
// slows it down, mutes a troll and lifts the mute; a member reports his message and Carol, signed in as
// herself, deletes it from the queue; the admin key bans him (a member no more, he cannot join), Alice lifts
// the ban, Carol bans him for good and the key deactivates him. Carol then reads all of it, in order, in the
// audit log. Bad requests are refused and change nothing.
func TestModerationThroughTheBinary(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	key := s.client(t, strings.TrimSpace(s.cli(t, "apikey", "create", "admin", "host backend")))
	owner, alice, bob, carol, dave := s.signUp(t, "owner"), s.signUp(t, "alice"), s.signUp(t, "bob"), s.signUp(t, "carol"), s.signUp(t, "dave")

	lr, err := carol.c.ListAuditLogWithResponse(ctx, nil)
	wantProblem(t, lr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	ur, err := key.AdminUpdateUserWithResponse(ctx, carol.ID, sdk.AdminUpdateUserRequest{Admin: ptr(true)})
	wantStatus(t, ur, err, http.StatusOK)
	assert.True(t, ur.JSON200.Admin)
	me, err := carol.c.GetMeWithResponse(ctx)
	wantStatus(t, me, err, http.StatusOK)
	assert.True(t, me.JSON200.Admin, "her own sign-in carries the role")

	ch := owner.create(t, sdk.CreateConversationRequestKindChannel, "Town square", alice)
	ar, err := key.AdminAddMembersWithResponse(ctx, ch.Id, sdk.AdminAddMembersRequest{UserIds: &[]string{bob.ID, dave.ID, alice.ID}})
	wantStatus(t, ar, err, http.StatusOK)
	require.Len(t, ar.JSON200.Items, 2, "alice was a member already")
	rr, err := key.AdminUpdateMemberWithResponse(ctx, ch.Id, alice.ID, sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleAdmin})
	wantStatus(t, rr, err, http.StatusOK)
	assert.Equal(t, sdk.MemberRoleAdmin, rr.JSON200.Role, "the backend makes Alice a channel admin")
	lo, err := key.AdminUpdateMemberWithResponse(ctx, ch.Id, owner.ID, sdk.UpdateMemberRequest{Role: sdk.UpdateMemberRequestRoleMember})
	wantProblem(t, lo, err, http.StatusConflict, sdk.ProblemCodeConflict)

	// Slow mode: one message a minute for plain members; owners and admins are exempt.
	sm, err := alice.c.SetSlowModeWithResponse(ctx, ch.Id, sdk.SlowModeRequest{Seconds: 60})
	wantStatus(t, sm, err, http.StatusOK)
	assert.EqualValues(t, 60, sm.JSON200.SlowModeSeconds)
	assert.EqualValues(t, 60, bob.conversation(t, ch.Id).SlowModeSeconds)
	troll := bob.send(t, ch.Id, "first!!!")
	fast, err := bob.c.SendMessageWithResponse(ctx, ch.Id, sdk.SendMessageRequest{Body: "second!!!"})
	p := wantProblem(t, fast, err, http.StatusTooManyRequests, sdk.ProblemCodeRateLimited)
	assert.Contains(t, *p.Detail, "slow mode")
	assert.NotEmpty(t, fast.HTTPResponse.Header.Get("Retry-After"))
	owner.send(t, ch.Id, "owners are exempt")
	owner.send(t, ch.Id, "owners are exempt, twice")
	sm, err = alice.c.SetSlowModeWithResponse(ctx, ch.Id, sdk.SlowModeRequest{Seconds: 0})
	wantStatus(t, sm, err, http.StatusOK)

	// A mute keeps Bob from sending and editing until it is lifted.
	mr, err := dave.c.MuteMemberWithResponse(ctx, ch.Id, bob.ID, sdk.MuteRequest{DurationSeconds: 600})
	wantProblem(t, mr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	mr, err = alice.c.MuteMemberWithResponse(ctx, ch.Id, bob.ID, sdk.MuteRequest{DurationSeconds: 600, Reason: ptr("shouting")})
	wantStatus(t, mr, err, http.StatusOK)
	require.NotNil(t, mr.JSON200.MutedUntil)
	assert.WithinDuration(t, time.Now().Add(10*time.Minute), *mr.JSON200.MutedUntil, time.Minute)
	muted, err := bob.c.SendMessageWithResponse(ctx, ch.Id, sdk.SendMessageRequest{Body: "can you hear me?"})
	p = wantProblem(t, muted, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Contains(t, *p.Detail, "muted")
	er, err := bob.c.EditMessageWithResponse(ctx, ch.Id, troll.Id, sdk.EditMessageRequest{Body: "sneaky edit"})
	wantProblem(t, er, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	um, err := alice.c.UnmuteMemberWithResponse(ctx, ch.Id, bob.ID)
	wantStatus(t, um, err, http.StatusOK)
	assert.Nil(t, um.JSON200.MutedUntil)
	bob.send(t, ch.Id, "sorry")

	// The report queue: Dave reports Bob's message; Carol deletes it.
	own, err := bob.c.ReportMessageWithResponse(ctx, ch.Id, troll.Id, sdk.ReportRequest{})
	wantProblem(t, own, err, http.StatusConflict, sdk.ProblemCodeConflict)
	rep, err := dave.c.ReportMessageWithResponse(ctx, ch.Id, troll.Id, sdk.ReportRequest{Reason: ptr("spam")})
	wantStatus(t, rep, err, http.StatusCreated)
	dup, err := dave.c.ReportMessageWithResponse(ctx, ch.Id, troll.Id, sdk.ReportRequest{Reason: ptr("spam")})
	wantProblem(t, dup, err, http.StatusConflict, sdk.ProblemCodeAlreadyExists)
	queue, err := carol.c.ListReportsWithResponse(ctx, &sdk.ListReportsParams{Status: ptr(sdk.ListReportsParamsStatusOpen)})
	wantStatus(t, queue, err, http.StatusOK)
	require.Len(t, queue.JSON200.Items, 1)
	assert.Equal(t, troll.Id, queue.JSON200.Items[0].MessageId)
	cl, err := carol.c.CloseReportWithResponse(ctx, rep.JSON201.Id, sdk.CloseReportRequest{Status: sdk.CloseReportRequestStatusResolved,
		DeleteMessage: ptr(true), Note: ptr("spam removed")})
	wantStatus(t, cl, err, http.StatusOK)
	assert.Equal(t, sdk.ReportStatusResolved, cl.JSON200.Status)
	assert.Equal(t, carol.ID, cl.JSON200.ResolvedBy.Id)
	hist := dave.history(t, ch.Id, 0)
	require.Equal(t, troll.Id, hist[0].Id)
	assert.NotNil(t, hist[0].DeletedAt, "resolving deleted the message for everyone")
	again, err := carol.c.CloseReportWithResponse(ctx, rep.JSON201.Id, sdk.CloseReportRequest{Status: sdk.CloseReportRequestStatusDismissed})
	wantProblem(t, again, err, http.StatusConflict, sdk.ProblemCodeConflict)

	// Bans: the key bans Bob for an hour; he is out and cannot join; Alice lifts it; Carol bans him for good.
	br, err := key.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: bob.ID, Reason: ptr("spam"), DurationSeconds: ptr(int64(3600))})
	wantStatus(t, br, err, http.StatusCreated)
	require.NotNil(t, br.JSON201.ExpiresAt)
	assert.Equal(t, sdk.ActorTypeApiKey, br.JSON201.BannedBy.Type)
	gr, err := bob.c.GetConversationWithResponse(ctx, ch.Id)
	wantStatus(t, gr, err, http.StatusOK)
	assert.Nil(t, gr.JSON200.Role, "a ban removes the member: he sees the channel from outside")
	jr, err := bob.c.JoinConversationWithResponse(ctx, ch.Id)
	p = wantProblem(t, jr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Contains(t, *p.Detail, "banned")
	bans, err := alice.c.ListBansWithResponse(ctx, ch.Id, nil)
	wantStatus(t, bans, err, http.StatusOK)
	require.Len(t, bans.JSON200.Items, 1)
	ub, err := alice.c.UnbanUserWithResponse(ctx, ch.Id, bob.ID)
	wantStatus(t, ub, err, http.StatusNoContent)
	jr, err = bob.c.JoinConversationWithResponse(ctx, ch.Id)
	wantStatus(t, jr, err, http.StatusOK)
	br, err = carol.c.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: bob.ID, Reason: ptr("again")})
	wantStatus(t, br, err, http.StatusCreated)
	assert.Nil(t, br.JSON201.ExpiresAt, "until lifted")
	dr, err := key.AdminDeactivateUserWithResponse(ctx, bob.ID)
	wantStatus(t, dr, err, http.StatusOK)

	// Bad requests change nothing.
	before := auditActions(t, carol, nil)
	checks := []func() (apiResponse, error){
		func() (apiResponse, error) {
			return alice.c.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: dave.ID, DurationSeconds: ptr(int64(-1))})
		},
		func() (apiResponse, error) {
			return alice.c.MuteMemberWithResponse(ctx, ch.Id, dave.ID, sdk.MuteRequest{DurationSeconds: 0})
		},
		func() (apiResponse, error) {
			return alice.c.SetSlowModeWithResponse(ctx, ch.Id, sdk.SlowModeRequest{Seconds: 99999})
		},
		func() (apiResponse, error) {
			return carol.c.CloseReportWithResponse(ctx, rep.JSON201.Id, sdk.CloseReportRequest{Status: "reopened"})
		},
		func() (apiResponse, error) {
			return alice.c.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: dave.ID, Reason: ptr(strings.Repeat("x", 501))})
		},
	}
	for i, call := range checks {
		r, err := call()
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode(), "bad request %d: %s", i, r.GetBody())
	}
	self, err := alice.c.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: alice.ID})
	wantProblem(t, self, err, http.StatusConflict, sdk.ProblemCodeConflict)
	ownerBan, err := key.BanUserWithResponse(ctx, ch.Id, sdk.BanRequest{UserId: owner.ID})
	wantProblem(t, ownerBan, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	peer, err := alice.c.MuteMemberWithResponse(ctx, ch.Id, owner.ID, sdk.MuteRequest{DurationSeconds: 60})
	wantProblem(t, peer, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	keyReport, err := key.ReportMessageWithResponse(ctx, ch.Id, troll.Id, sdk.ReportRequest{})
	wantProblem(t, keyReport, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
	assert.Equal(t, before, auditActions(t, carol, nil), "refusals are not recorded")
	members, err := dave.c.ListMembersWithResponse(ctx, ch.Id, nil)
	wantStatus(t, members, err, http.StatusOK)
	for _, m := range members.JSON200.Items {
		assert.Nil(t, m.MutedUntil, "nobody is muted")
	}

	// Carol reads it all in the audit log, newest first, in pages.
	want := []string{"user.deactivate", "conversation.ban", "conversation.unban", "conversation.ban", "report.resolve",
		"member.unmute", "member.mute", "conversation.slow_mode", "conversation.slow_mode", "conversation.member_role",
		"conversation.members_add", "user.update", "api_key.create"}
	assert.Equal(t, want, before)
	inChannel := auditActions(t, carol, &sdk.ListAuditLogParams{ConversationId: &ch.Id})
	assert.Equal(t, want[1:11], inChannel)
	log, err := carol.c.ListAuditLogWithResponse(ctx, &sdk.ListAuditLogParams{Action: ptr("conversation.ban")})
	wantStatus(t, log, err, http.StatusOK)
	require.Len(t, log.JSON200.Items, 2)
	assert.Equal(t, sdk.Actor{Type: sdk.ActorTypeUser, Id: carol.ID}, log.JSON200.Items[0].Actor)
	assert.Equal(t, sdk.ActorTypeApiKey, log.JSON200.Items[1].Actor.Type)
	assert.Equal(t, bob.ID, log.JSON200.Items[1].TargetId)
	assert.Equal(t, "spam", (*log.JSON200.Items[1].Details)["reason"])
	assert.Equal(t, "3600", (*log.JSON200.Items[1].Details)["durationSeconds"])
	byAlice := auditActions(t, carol, &sdk.ListAuditLogParams{ActorId: &alice.ID})
	assert.Equal(t, []string{"conversation.unban", "member.unmute", "member.mute", "conversation.slow_mode", "conversation.slow_mode"}, byAlice)
	created, err := carol.c.ListAuditLogWithResponse(ctx, &sdk.ListAuditLogParams{Action: ptr("api_key.create")})
	wantStatus(t, created, err, http.StatusOK)
	require.Len(t, created.JSON200.Items, 1)
	assert.Equal(t, sdk.ActorTypeOperator, created.JSON200.Items[0].Actor.Type, "the key made on the command line")
	assert.Equal(t, "admin", (*created.JSON200.Items[0].Details)["scope"])
	aboutBob := auditActions(t, carol, &sdk.ListAuditLogParams{TargetId: &bob.ID})
	assert.Equal(t, []string{"user.deactivate", "conversation.ban", "conversation.unban", "conversation.ban", "member.unmute", "member.mute"}, aboutBob)
}

// auditActions reads the whole audit log matching params in pages of 5, newest first, and returns its actions.
func auditActions(t *testing.T, admin *user, params *sdk.ListAuditLogParams) []string {
	t.Helper()
	if params == nil {
		params = &sdk.ListAuditLogParams{}
	}
	params.Limit = ptr(int64(5))
	var out []string
	var last time.Time
	for range 100 {
		r, err := admin.c.ListAuditLogWithResponse(t.Context(), params)
		wantStatus(t, r, err, http.StatusOK)
		for _, e := range r.JSON200.Items {
			if !last.IsZero() {
				require.False(t, e.At.After(last), "newest first")
			}
			last = e.At
			out = append(out, e.Action)
		}
		if r.JSON200.Next == nil {
			return out
		}
		params.Cursor = r.JSON200.Next
	}
	t.Fatal("the audit log does not end")
	return nil
}
