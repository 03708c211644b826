package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// AddMembersRequest names users to add.
type AddMembersRequest struct {
	UserIDs []string `json:"userIds" nullable:"false" minItems:"1" maxItems:"100" doc:"User ids to add; those who are members already are skipped."`
}

// UpdateMemberRequest changes a member's role.
type UpdateMemberRequest struct {
	Role string `json:"role" enum:"owner,admin,member" doc:"The new role. Make another member owner before stepping down as the last owner."`
}

// MemberParams are the path parameters naming a member of a conversation.
type MemberParams struct {
	ConversationParams
	UserID string `path:"userId" doc:"User id of the member."`
}

type listMembersInput struct {
	ConversationParams
	PageParams
}

type addMembersInput struct {
	ConversationParams
	Body AddMembersRequest
}

type updateMemberInput struct {
	MemberParams
	Body UpdateMemberRequest
}

func registerMembers(r registrar, s *server) {
	const path = "/v1/conversations/{conversationId}/members"
	huma.Register(r.api, r.secured("listMembers", http.MethodGet, path, tagMembers, "List members",
		"Lists a conversation's members by user id (members only; anyone for a channel).",
		http.StatusOK, http.StatusNotFound), s.listMembers)
	huma.Register(r.api, r.secured("addMembers", http.MethodPost, path, tagMembers, "Add members",
		"Adds users to a group or channel (admins and owners). Returns the memberships created.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.addMembers)
	huma.Register(r.api, r.secured("removeMember", http.MethodDelete, path+"/{userId}", tagMembers, "Remove a member",
		"Owners remove anyone, admins remove plain members. Removing oneself is leaving.",
		http.StatusNoContent, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.removeMember)
	huma.Register(r.api, r.secured("updateMember", http.MethodPatch, path+"/{userId}", tagMembers, "Change a member's role",
		"Sets a member's role (owners only); this is how ownership is handed over.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict), s.updateMember)
}

func (s *server) listMembers(ctx context.Context, in *listMembersInput) (*body[MemberList], error) {
	p, err := s.svc.Members(ctx, caller(ctx).user.ID, in.ConversationID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[MemberList]{Body: MemberList{Items: mapItems(p.Items, schema.MemberOf), Next: p.Next}}, nil
}

func (s *server) addMembers(ctx context.Context, in *addMembersInput) (*body[MemberList], error) {
	added, err := s.svc.AddMembers(ctx, caller(ctx).user.ID, in.ConversationID, in.Body.UserIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[MemberList]{Body: MemberList{Items: mapItems(added, schema.MemberOf)}}, nil
}

func (s *server) removeMember(ctx context.Context, in *MemberParams) (*struct{}, error) {
	if err := s.svc.RemoveMember(ctx, caller(ctx).user.ID, in.ConversationID, in.UserID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) updateMember(ctx context.Context, in *updateMemberInput) (*body[schema.Member], error) {
	m, err := s.svc.SetRole(ctx, caller(ctx).user.ID, in.ConversationID, in.UserID, core.Role(in.Body.Role))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Member]{Body: schema.MemberOf(m)}, nil
}
