package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
)

// Reactions are a message's emoji tallies after a change.
type Reactions struct {
	Items []schema.ReactionCount `json:"items" nullable:"false" doc:"The message's tallies as the caller sees them, in order of each emoji's first reaction."`
}

// PinList is a conversation's pinned messages.
type PinList struct {
	Items []schema.Message `json:"items" nullable:"false" doc:"Pinned messages, most recently pinned first (at most 50)."`
}

type reactionInput struct {
	MessageParams
	Emoji string `path:"emoji" maxLength:"64" example:"👍" doc:"One emoji, or a :shortcode: such as :thumbsup: (see the README for the set); URL-encoded."`
}

func registerReactions(r registrar, s *server) {
	const path = "/v1/conversations/{conversationId}"
	huma.Register(r.api, r.secured("addReaction", http.MethodPut, path+"/messages/{messageId}/reactions/{emoji}",
		tagMessages, "React to a message",
		"Puts the caller's emoji on a message (members only) and returns the message's tallies; reacting twice with "+
			"the same emoji is harmless. A message carries at most 20 different emoji, and one member at most 10 of "+
			"them (409 beyond).", http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound,
		http.StatusConflict, http.StatusTooManyRequests), s.addReaction)
	huma.Register(r.api, r.secured("removeReaction", http.MethodDelete, path+"/messages/{messageId}/reactions/{emoji}",
		tagMessages, "Take back a reaction",
		"Takes the caller's emoji off a message and returns the message's tallies; taking back one that is not "+
			"there is harmless.", http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound,
		http.StatusTooManyRequests), s.removeReaction)
	huma.Register(r.api, r.secured("pinMessage", http.MethodPut, path+"/messages/{messageId}/pin", tagMessages,
		"Pin a message", "Pins a message: admins and owners of groups and channels, either member of a direct "+
			"conversation. Pinning twice is harmless; at most 50 messages are pinned at once (409 beyond).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests), s.pinMessage)
	huma.Register(r.api, r.secured("unpinMessage", http.MethodDelete, path+"/messages/{messageId}/pin", tagMessages,
		"Unpin a message", "Unpins a message (who may pin may unpin); unpinning one that is not pinned is harmless.",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests), s.unpinMessage)
	huma.Register(r.api, r.secured("listPins", http.MethodGet, path+"/pins", tagMessages, "List pinned messages",
		"Returns the conversation's pinned messages with their reactions (members only).",
		http.StatusOK, http.StatusForbidden, http.StatusNotFound), s.listPins)
}

func (s *server) addReaction(ctx context.Context, in *reactionInput) (*body[Reactions], error) {
	rs, err := s.svc.React(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID, in.Emoji)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Reactions]{Body: Reactions{Items: nonNil(schema.ReactionsOf(rs))}}, nil
}

func (s *server) removeReaction(ctx context.Context, in *reactionInput) (*body[Reactions], error) {
	rs, err := s.svc.Unreact(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID, in.Emoji)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Reactions]{Body: Reactions{Items: nonNil(schema.ReactionsOf(rs))}}, nil
}

func (s *server) pinMessage(ctx context.Context, in *MessageParams) (*body[schema.Message], error) {
	m, err := s.svc.Pin(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Message]{Body: schema.MessageOf(m)}, nil
}

func (s *server) unpinMessage(ctx context.Context, in *MessageParams) (*body[schema.Message], error) {
	m, err := s.svc.Unpin(ctx, caller(ctx).user.ID, in.ConversationID, in.MessageID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.Message]{Body: schema.MessageOf(m)}, nil
}

func (s *server) listPins(ctx context.Context, in *ConversationParams) (*body[PinList], error) {
	msgs, err := s.svc.Pins(ctx, caller(ctx).user.ID, in.ConversationID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[PinList]{Body: PinList{Items: mapItems(msgs, schema.MessageOf)}}, nil
}

// nonNil returns s, or an empty slice for nil (a list property is never null).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
