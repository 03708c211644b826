package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// CreateConversationRequest is a new conversation; the caller becomes its owner (a member, for direct ones).
type CreateConversationRequest struct {
	Kind      string   `json:"kind" enum:"direct,group,channel" doc:"direct: exactly one other member in memberIds; group: private; channel: public."`
	Title     string   `json:"title,omitempty" maxLength:"100" doc:"Required for groups and channels; not allowed for direct conversations."`
	Topic     string   `json:"topic,omitempty" maxLength:"500" doc:"Optional; not allowed for direct conversations."`
	MemberIDs []string `json:"memberIds,omitempty" nullable:"false" maxItems:"999" doc:"User ids of the other members; the caller is always one. Absent means none."`
}

// UpdateConversationRequest changes a conversation; absent properties stay as they are.
type UpdateConversationRequest struct {
	Title *string `json:"title,omitempty" maxLength:"100" doc:"New title."`
	Topic *string `json:"topic,omitempty" maxLength:"500" doc:"New topic; empty clears it."`
}

type createConversationInput struct {
	Body CreateConversationRequest
}

type updateConversationInput struct {
	ConversationParams
	Body UpdateConversationRequest
}

type listConversationsInput struct {
	PageParams
}

type listChannelsInput struct {
	Q string `query:"q" maxLength:"100" doc:"Matches part of the title (case-insensitive); empty lists all channels."`
	PageParams
}

func registerConversations(r registrar, s *server) {
	create := r.secured("createConversation", http.MethodPost, "/v1/conversations", tagConversations,
		"Create a conversation",
		"Creates a direct conversation, group or channel. Creating a direct conversation that exists already "+
			"returns it with status 200. A member who blocks the caller cannot be drawn in (403).",
		http.StatusCreated, http.StatusForbidden)
	also[schema.Conversation](r, &create, http.StatusOK, "The direct conversation existed already.")
	huma.Register(r.api, create, s.createConversation)
	huma.Register(r.api, r.secured("listConversations", http.MethodGet, "/v1/conversations", tagConversations,
		"List my conversations",
		"Lists the caller's conversations, most recently active first, each with its lastSeq, the caller's readSeq, "+
			"unread count and last message.", http.StatusOK), s.listConversations)
	huma.Register(r.api, r.secured("getConversation", http.MethodGet, "/v1/conversations/{conversationId}", tagConversations,
		"Get a conversation", "Returns a conversation the caller belongs to, or any channel.",
		http.StatusOK, http.StatusNotFound), s.getConversation)
	huma.Register(r.api, r.secured("updateConversation", http.MethodPatch, "/v1/conversations/{conversationId}", tagConversations,
		"Update a conversation", "Renames a group or channel or changes its topic (admins and owners).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.updateConversation)
	huma.Register(r.api, r.secured("listChannels", http.MethodGet, "/v1/channels", tagConversations,
		"Browse channels", "Lists public channels by title.", http.StatusOK), s.listChannels)
	huma.Register(r.api, r.secured("joinConversation", http.MethodPost, "/v1/conversations/{conversationId}/join", tagConversations,
		"Join a channel", "Makes the caller a member of a channel. Joining twice is harmless.",
		http.StatusOK, http.StatusNotFound), s.joinConversation)
	huma.Register(r.api, r.secured("leaveConversation", http.MethodPost, "/v1/conversations/{conversationId}/leave", tagConversations,
		"Leave a conversation",
		"Removes the caller from a group or channel. Direct conversations cannot be left, and the last owner must "+
			"hand ownership to another member first (409).", http.StatusNoContent, http.StatusForbidden, http.StatusNotFound,
		http.StatusConflict), s.leaveConversation)
}

func (s *server) createConversation(ctx context.Context, in *createConversationInput) (*withStatus[schema.Conversation], error) {
	sum, created, err := s.svc.CreateConversation(ctx, caller(ctx).user.ID, chat.CreateInput{Kind: core.Kind(in.Body.Kind),
		Title: in.Body.Title, Topic: in.Body.Topic, MemberIDs: in.Body.MemberIDs})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &withStatus[schema.Conversation]{Status: createdStatus(created), Body: schema.SummaryOf(sum)}, nil
}

// createdStatus is 201 for something created, 200 for something that existed already.
func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *server) listConversations(ctx context.Context, in *listConversationsInput) (*body[ConversationList], error) {
	p, err := s.svc.ListConversations(ctx, caller(ctx).user.ID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ConversationList]{Body: ConversationList{Items: mapItems(p.Items, schema.SummaryOf), Next: p.Next}}, nil
}

func (s *server) getConversation(ctx context.Context, in *ConversationParams) (*body[schema.Conversation], error) {
	sum, err := s.svc.Conversation(ctx, caller(ctx).user.ID, in.ConversationID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Conversation]{Body: schema.SummaryOf(sum)}, nil
}

func (s *server) updateConversation(ctx context.Context, in *updateConversationInput) (*body[schema.Conversation], error) {
	sum, err := s.svc.UpdateConversation(ctx, caller(ctx).user.ID, in.ConversationID,
		chat.UpdateInput{Title: in.Body.Title, Topic: in.Body.Topic})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Conversation]{Body: schema.SummaryOf(sum)}, nil
}

func (s *server) listChannels(ctx context.Context, in *listChannelsInput) (*body[ChannelList], error) {
	p, err := s.svc.Channels(ctx, in.Q, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[ChannelList]{Body: ChannelList{Items: mapItems(p.Items, schema.ConversationOf), Next: p.Next}}, nil
}

func (s *server) joinConversation(ctx context.Context, in *ConversationParams) (*body[schema.Conversation], error) {
	sum, err := s.svc.Join(ctx, caller(ctx).user.ID, in.ConversationID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Conversation]{Body: schema.SummaryOf(sum)}, nil
}

func (s *server) leaveConversation(ctx context.Context, in *ConversationParams) (*struct{}, error) {
	if err := s.svc.Leave(ctx, caller(ctx).user.ID, in.ConversationID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}
