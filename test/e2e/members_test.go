package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scalechat/scalechat/openapi/sdk"
)

// members walks listMembers with pages of limit and returns user id -> role.
func (u *user) members(t testing.TB, convID string, limit int64) map[string]sdk.MemberRole {
	t.Helper()
	out := map[string]sdk.MemberRole{}
	var order []string
	params := &sdk.ListMembersParams{Limit: &limit}
	for range 1000 {
		r, err := u.c.ListMembersWithResponse(t.Context(), convID, params)
		wantStatus(t, r, err, http.StatusOK)
		require.LessOrEqual(t, int64(len(r.JSON200.Items)), limit)
		for _, m := range r.JSON200.Items {
			require.Equal(t, convID, m.ConversationId)
			require.NotContains(t, out, m.UserId, "a member is listed once")
			out[m.UserId] = m.Role
			order = append(order, m.UserId)
		}
		if r.JSON200.Next == nil {
			require.True(t, sort.StringsAreSorted(order), "members are ordered by user id")
			return out
		}
		params = &sdk.ListMembersParams{Limit: &limit, Cursor: r.JSON200.Next}
	}
	t.Fatal("member paging did not end")
	return nil
}

func (u *user) setRole(t testing.TB, convID string, target *user, role sdk.UpdateMemberRequestRole) (*sdk.UpdateMemberResponse, error) {
	t.Helper()
	return u.c.UpdateMemberWithResponse(t.Context(), convID, target.ID, sdk.UpdateMemberRequest{Role: role})
}

func TestMembersAndRoles(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	owner, admin, member, dan, eve := s.signUp(t, "owner"), s.signUp(t, "admin"), s.signUp(t, "member"),
		s.signUp(t, "dan"), s.signUp(t, "eve")
	g := owner.create(t, sdk.CreateConversationRequestKindGroup, "Roles", admin, member)

	t.Run("listMembers", func(t *testing.T) {
		want := map[string]sdk.MemberRole{owner.ID: sdk.MemberRoleOwner, admin.ID: sdk.MemberRoleMember, member.ID: sdk.MemberRoleMember}
		assert.Equal(t, want, member.members(t, g.Id, 1), "pages of 1")
		assert.Equal(t, want, owner.members(t, g.Id, 50))
	})

	t.Run("updateMember: only owners change roles", func(t *testing.T) {
		r, err := member.setRole(t, g.Id, admin, sdk.UpdateMemberRequestRoleAdmin)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		r, err = owner.setRole(t, g.Id, admin, sdk.UpdateMemberRequestRoleAdmin)
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, sdk.MemberRoleAdmin, r.JSON200.Role)
		assert.Equal(t, admin.ID, r.JSON200.UserId)
		r, err = admin.setRole(t, g.Id, member, sdk.UpdateMemberRequestRoleAdmin)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		r, err = owner.setRole(t, g.Id, dan, sdk.UpdateMemberRequestRoleAdmin)
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound) // dan is no member
		r, err = owner.setRole(t, g.Id, member, "king")
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		assert.Equal(t, map[string]sdk.MemberRole{owner.ID: sdk.MemberRoleOwner, admin.ID: sdk.MemberRoleAdmin,
			member.ID: sdk.MemberRoleMember}, owner.members(t, g.Id, 50))
	})

	t.Run("updateConversation: admins and owners rename, members may not", func(t *testing.T) {
		r, err := member.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Title: ptr("mine")})
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		r, err = admin.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Title: ptr("Admin's")})
		wantStatus(t, r, err, http.StatusOK)
		r, err = owner.c.UpdateConversationWithResponse(ctx, g.Id, sdk.UpdateConversationRequest{Title: ptr("Roles")})
		wantStatus(t, r, err, http.StatusOK)
		assert.Equal(t, "Roles", member.conversation(t, g.Id).Title)
	})

	t.Run("addMembers: admins and owners only; members already in are skipped", func(t *testing.T) {
		r, err := member.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{dan.ID}})
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		r, err = admin.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{dan.ID, member.ID}})
		wantStatus(t, r, err, http.StatusOK)
		require.Len(t, r.JSON200.Items, 1)
		assert.Equal(t, dan.ID, r.JSON200.Items[0].UserId)
		assert.Equal(t, sdk.MemberRoleMember, r.JSON200.Items[0].Role)
		r, err = owner.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{eve.ID}})
		wantStatus(t, r, err, http.StatusOK)
		require.Len(t, r.JSON200.Items, 1)
		r, err = owner.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{eve.ID}})
		wantStatus(t, r, err, http.StatusOK)
		assert.Empty(t, r.JSON200.Items, "adding a member twice adds nothing")
		r, err = owner.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{"no-such-user"}})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		r, err = owner.c.AddMembersWithResponse(ctx, g.Id, sdk.AddMembersRequest{UserIds: []string{}})
		wantProblem(t, r, err, http.StatusBadRequest, sdk.ProblemCodeInvalidArgument)
		assert.Len(t, eve.members(t, g.Id, 50), 5)
	})

	t.Run("removeMember: admins remove members but not owners or admins; owners remove anyone", func(t *testing.T) {
		r, err := member.c.RemoveMemberWithResponse(ctx, g.Id, dan.ID)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		r, err = admin.c.RemoveMemberWithResponse(ctx, g.Id, owner.ID)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		assert.Equal(t, sdk.MemberRoleOwner, owner.members(t, g.Id, 50)[owner.ID], "the owner is still there")

		r, err = admin.c.RemoveMemberWithResponse(ctx, g.Id, dan.ID)
		wantStatus(t, r, err, http.StatusNoContent)
		r, err = owner.c.RemoveMemberWithResponse(ctx, g.Id, eve.ID)
		wantStatus(t, r, err, http.StatusNoContent)
		r, err = owner.c.RemoveMemberWithResponse(ctx, g.Id, eve.ID)
		wantProblem(t, r, err, http.StatusNotFound, sdk.ProblemCodeNotFound)

		// A removed member no longer sees the group at all.
		cr, err := dan.c.GetConversationWithResponse(ctx, g.Id)
		wantProblem(t, cr, err, http.StatusNotFound, sdk.ProblemCodeNotFound)
		assert.NotContains(t, convIDs(dan.allConversations(t, 50)), g.Id)

		// An owner can make a second admin, and remove an admin.
		ur, err := owner.setRole(t, g.Id, member, sdk.UpdateMemberRequestRoleAdmin)
		wantStatus(t, ur, err, http.StatusOK)
		r, err = admin.c.RemoveMemberWithResponse(ctx, g.Id, member.ID)
		wantProblem(t, r, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied) // admins do not remove admins
		r, err = owner.c.RemoveMemberWithResponse(ctx, g.Id, member.ID)
		wantStatus(t, r, err, http.StatusNoContent)
		assert.Equal(t, map[string]sdk.MemberRole{owner.ID: sdk.MemberRoleOwner, admin.ID: sdk.MemberRoleAdmin},
			owner.members(t, g.Id, 50))
	})

	t.Run("the last owner can't leave until ownership is handed over", func(t *testing.T) {
		r, err := owner.c.LeaveConversationWithResponse(ctx, g.Id)
		wantProblem(t, r, err, http.StatusConflict, sdk.ProblemCodeConflict)
		rm, err := owner.c.RemoveMemberWithResponse(ctx, g.Id, owner.ID) // removing oneself is leaving
		wantProblem(t, rm, err, http.StatusConflict, sdk.ProblemCodeConflict)
		ur, err := owner.setRole(t, g.Id, owner, sdk.UpdateMemberRequestRoleMember)
		wantProblem(t, ur, err, http.StatusConflict, sdk.ProblemCodeConflict) // stepping down as the last owner
		assert.Equal(t, sdk.MemberRoleOwner, admin.members(t, g.Id, 50)[owner.ID])

		ur, err = owner.setRole(t, g.Id, admin, sdk.UpdateMemberRequestRoleOwner)
		wantStatus(t, ur, err, http.StatusOK)
		assert.Equal(t, sdk.MemberRoleOwner, ur.JSON200.Role)
		r, err = owner.c.LeaveConversationWithResponse(ctx, g.Id)
		wantStatus(t, r, err, http.StatusNoContent)
		assert.Equal(t, map[string]sdk.MemberRole{admin.ID: sdk.MemberRoleOwner}, admin.members(t, g.Id, 50))

		// The sole remaining member may leave: nobody is left without an owner.
		r, err = admin.c.LeaveConversationWithResponse(ctx, g.Id)
		wantStatus(t, r, err, http.StatusNoContent)
	})

	t.Run("direct conversations have no roles to manage", func(t *testing.T) {
		d := owner.create(t, sdk.CreateConversationRequestKindDirect, "", dan)
		ar, err := owner.c.AddMembersWithResponse(ctx, d.Id, sdk.AddMembersRequest{UserIds: []string{eve.ID}})
		wantProblem(t, ar, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		ur, err := owner.setRole(t, d.Id, dan, sdk.UpdateMemberRequestRoleOwner)
		wantProblem(t, ur, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		rr, err := owner.c.RemoveMemberWithResponse(ctx, d.Id, dan.ID)
		wantProblem(t, rr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		cr, err := owner.c.UpdateConversationWithResponse(ctx, d.Id, sdk.UpdateConversationRequest{Title: ptr("ours")})
		wantProblem(t, cr, err, http.StatusForbidden, sdk.ProblemCodePermissionDenied)
		assert.Equal(t, map[string]sdk.MemberRole{owner.ID: sdk.MemberRoleMember, dan.ID: sdk.MemberRoleMember}, dan.members(t, d.Id, 50))
		assert.Equal(t, int64(0), dan.conversation(t, d.Id).LastSeq)
	})

	t.Run("member events are sequenced", func(t *testing.T) {
		c := owner.create(t, sdk.CreateConversationRequestKindChannel, "Sequenced")
		ar, err := owner.c.AddMembersWithResponse(ctx, c.Id, sdk.AddMembersRequest{UserIds: []string{admin.ID}})
		wantStatus(t, ar, err, http.StatusOK)
		ur, err := owner.setRole(t, c.Id, admin, sdk.UpdateMemberRequestRoleAdmin)
		wantStatus(t, ur, err, http.StatusOK)
		jr, err := member.c.JoinConversationWithResponse(ctx, c.Id)
		wantStatus(t, jr, err, http.StatusOK)
		rr, err := admin.c.RemoveMemberWithResponse(ctx, c.Id, member.ID)
		wantStatus(t, rr, err, http.StatusNoContent)
		evs := owner.events(t, c.Id, 0)
		requireDense(t, c.Id, evs)
		assert.Equal(t, []string{"member.joined", "member.updated", "member.joined", "member.left"}, eventTypes(evs))
		assert.Equal(t, []string{owner.ID, owner.ID, member.ID, admin.ID},
			[]string{evs[0].ActorId, evs[1].ActorId, evs[2].ActorId, evs[3].ActorId})
		assert.Equal(t, sdk.MemberRoleAdmin, evs[1].Data.Member.Role)
		assert.Equal(t, member.ID, evs[3].Data.Member.UserId)
		assert.Equal(t, int64(4), owner.conversation(t, c.Id).LastSeq)
	})
}

// TestLastOwnerRace has both owners of a group step down at the same moment, many times: at most one may
// succeed, or the group would be left with members and no owner.
func TestLastOwnerRace(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := t.Context()
	a, b, c := s.signUp(t, "first"), s.signUp(t, "second"), s.signUp(t, "third")

	stepDown := map[string]func(u *user, convID string) (apiResponse, error){
		"leave": func(u *user, convID string) (apiResponse, error) {
			return u.c.LeaveConversationWithResponse(ctx, convID)
		},
		"demote": func(u *user, convID string) (apiResponse, error) {
			return u.setRole(t, convID, u, sdk.UpdateMemberRequestRoleMember)
		},
	}
	for name, step := range stepDown {
		t.Run(name, func(t *testing.T) {
			for i := range 15 {
				g := a.create(t, sdk.CreateConversationRequestKindGroup, fmt.Sprintf("%s %d", name, i), b, c)
				r, err := a.setRole(t, g.Id, b, sdk.UpdateMemberRequestRoleOwner)
				wantStatus(t, r, err, http.StatusOK)

				var wg sync.WaitGroup
				statuses := make([]int, 2)
				for j, u := range []*user{a, b} {
					wg.Go(func() {
						r, err := step(u, g.Id)
						require.NoError(t, err)
						statuses[j] = r.StatusCode()
					})
				}
				wg.Wait()
				owners := 0
				for _, role := range c.members(t, g.Id, 50) {
					if role == sdk.MemberRoleOwner {
						owners++
					}
				}
				require.Equal(t, 1, owners, "round %d: both owners stepped down at once (statuses %v): the group has no owner", i, statuses)
				assert.ElementsMatch(t, []int{http.StatusConflict, map[string]int{"leave": http.StatusNoContent, "demote": http.StatusOK}[name]}, statuses)
			}
		})
	}
}
