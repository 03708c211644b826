package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// NotificationsRequest is a member's notification settings for one conversation.
type NotificationsRequest struct {
	Level string `json:"level" enum:"all,mentions,none" doc:"all: every message; mentions: only messages that mention me; none: nothing."`
	Muted bool   `json:"muted,omitempty" doc:"Mute the conversation: no notifications whatever the level (default false)."`
}

// MentionList is a page of the messages that mention the caller.
type MentionList struct {
	Items []schema.Message `json:"items" nullable:"false" doc:"Messages that mention the caller in the conversations the caller belongs to, newest first; deleted ones and the caller's own are left out."`
	Next  string           `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

type notificationsInput struct {
	ConversationParams
	Body NotificationsRequest
}

type listMentionsInput struct {
	PageParams
}

func registerMentions(r registrar, s *server) {
	huma.Register(r.api, r.secured("setNotifications", http.MethodPut, "/v1/conversations/{conversationId}/notifications",
		tagConversations, "Set my notification level",
		"Sets what the caller wants to be told about in a conversation (all, mentions, none) and whether it is muted; "+
			"returns the conversation as the caller sees it. Clients use it to decide what to badge and notify.",
		http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests), s.setNotifications)
	huma.Register(r.api, r.secured("listMentions", http.MethodGet, "/v1/mentions", tagMessages, "My mentions",
		"The inbox of messages that mention the caller (@username, @channel, @here) in the caller's conversations, "+
			"newest first.", http.StatusOK), s.listMentions)
}

func (s *server) setNotifications(ctx context.Context, in *notificationsInput) (*body[schema.Conversation], error) {
	sum, err := s.svc.SetNotifications(ctx, caller(ctx).user.ID, in.ConversationID, core.NotifyLevel(in.Body.Level), in.Body.Muted)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Conversation]{Body: schema.SummaryOf(sum)}, nil
}

func (s *server) listMentions(ctx context.Context, in *listMentionsInput) (*body[MentionList], error) {
	p, err := s.svc.Mentions(ctx, caller(ctx).user.ID, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[MentionList]{Body: MentionList{Items: mapItems(p.Items, schema.MessageOf), Next: p.Next}}, nil
}
