package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// tagAdmin groups the admin API: operations for admin API keys only.
const tagAdmin = "admin"

// APIKey is a server API key as the admin API shows it: never the key itself, except once in CreatedAPIKey.
type APIKey struct {
	ID        string     `json:"id" doc:"Key id: the part of the key after sck_ and before the next _."`
	Name      string     `json:"name" doc:"What the key is for."`
	Scope     string     `json:"scope" enum:"admin,bot" doc:"admin: the admin API; bot: acts as its bot user on the user API."`
	BotUserID string     `json:"botUserId,omitempty" doc:"Scope bot: the bot user the key acts as."`
	CreatedAt time.Time  `json:"createdAt" doc:"When the key was created (RFC 3339, UTC)."`
	RevokedAt *time.Time `json:"revokedAt,omitempty" doc:"When the key was revoked; absent while it works."`
}

// CreatedAPIKey is a key just created, with the key itself, shown this once.
type CreatedAPIKey struct {
	APIKey APIKey       `json:"apiKey"`
	Key    string       `json:"key" doc:"The key, sent as Authorization: Bearer <key> (or as the Socket.IO auth token of a bot). Shown only in this response: only a hash of it is stored."`
	Bot    *schema.User `json:"bot,omitempty" doc:"Scope bot: the bot user created with the key."`
}

// APIKeyList is a page of API keys.
type APIKeyList struct {
	Items []APIKey `json:"items" nullable:"false" doc:"Keys, ordered by id, revoked ones included."`
	Next  string   `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

// CreateAPIKeyRequest asks for a key.
type CreateAPIKeyRequest struct {
	Name           string `json:"name" minLength:"1" maxLength:"64" doc:"What the key is for."`
	Scope          string `json:"scope" enum:"admin,bot" doc:"admin or bot."`
	BotUsername    string `json:"botUsername,omitempty" maxLength:"64" doc:"Scope bot: the username of the bot user created with the key."`
	BotDisplayName string `json:"botDisplayName,omitempty" maxLength:"256" doc:"Scope bot: its display name (default the username)."`
}

type createAPIKeyInput struct {
	Body CreateAPIKeyRequest
}

type listAPIKeysInput struct {
	PageParams
}

type apiKeyPath struct {
	KeyID string `path:"keyId" maxLength:"64" doc:"Key id."`
}

// AdminCreateUserRequest is a user the host application creates.
type AdminCreateUserRequest struct {
	Username        string `json:"username" minLength:"3" maxLength:"32" doc:"3 to 32 of a-z, 0-9, '_', '.', '-' (upper case is lowered)."`
	DisplayName     string `json:"displayName,omitempty" maxLength:"256" doc:"Name shown to others (default the username)."`
	ExternalSubject string `json:"externalSubject,omitempty" maxLength:"255" doc:"The sub of this user's application tokens: their first token signs them in as this user. Needs --jwt-secret or --jwt-jwks-url."`
}

// AdminCreateConversationRequest is a conversation the host application creates for its users.
type AdminCreateConversationRequest struct {
	OwnerID string `json:"ownerId" maxLength:"64" doc:"The user the conversation is created as: its owner (a plain member of a direct conversation)."`
	CreateConversationRequest
}

// AdminSendMessageRequest is a message the host application posts as one of its users (or a bot).
type AdminSendMessageRequest struct {
	SenderID string `json:"senderId" maxLength:"64" doc:"The member the message is sent as."`
	SendMessageRequest
}

type adminCreateUserInput struct {
	Body AdminCreateUserRequest
}

type adminCreateConversationInput struct {
	Body AdminCreateConversationRequest
}

type adminSendMessageInput struct {
	ConversationParams
	Body AdminSendMessageRequest
}

func registerAdmin(r registrar, s *server) {
	huma.Register(r.api, r.secured("createApiKey", http.MethodPost, "/v1/admin/api-keys", tagAdmin, "Create an API key",
		"Creates a server API key (admin keys only). Scope admin: the admin API. Scope bot: creates a bot user "+
			"(shown with bot: true) that the key signs in as, on REST and Socket.IO, like a user's token. The key "+
			"is in this response only.", http.StatusCreated, http.StatusForbidden, http.StatusConflict), s.createAPIKey)
	huma.Register(r.api, r.secured("listApiKeys", http.MethodGet, "/v1/admin/api-keys", tagAdmin, "List API keys",
		"Lists every API key, revoked ones included (admin keys only); never the keys themselves.", http.StatusOK,
		http.StatusForbidden), s.listAPIKeys)
	huma.Register(r.api, r.secured("revokeApiKey", http.MethodDelete, "/v1/admin/api-keys/{keyId}", tagAdmin, "Revoke an API key",
		"Revokes a key (admin keys only): it is refused from then on, and a bot key's sockets end. Revoking twice is "+
			"harmless; a key cannot revoke itself (409).", http.StatusOK, http.StatusForbidden, http.StatusNotFound,
		http.StatusConflict), s.revokeAPIKey)
	huma.Register(r.api, r.secured("adminCreateUser", http.MethodPost, "/v1/admin/users", tagAdmin, "Create a user",
		"Creates a user without a password (admin keys only): with externalSubject, the user whose application tokens "+
			"carry that sub, created before their first sign-in so that conversations can be made for them.",
		http.StatusCreated, http.StatusForbidden, http.StatusConflict), s.adminCreateUser)
	create := r.secured("adminCreateConversation", http.MethodPost, "/v1/admin/conversations", tagAdmin,
		"Create a conversation for users",
		"Creates a conversation as its owner, ownerId, with memberIds (admin keys only), as if the owner did: blocks "+
			"apply, rate limits do not. A direct conversation that exists already is returned with status 200.",
		http.StatusCreated, http.StatusForbidden, http.StatusNotFound)
	also[schema.Conversation](r, &create, http.StatusOK, "The direct conversation existed already.")
	huma.Register(r.api, create, s.adminCreateConversation)
	send := r.secured("adminSendMessage", http.MethodPost, "/v1/admin/conversations/{conversationId}/messages", tagAdmin,
		"Post as a user",
		"Sends a message as senderId, a member (admin keys only), exactly as sendMessage does for them (statuses "+
			"201, 200 and 202 alike); rate limits do not apply.",
		http.StatusCreated, http.StatusForbidden, http.StatusNotFound, http.StatusServiceUnavailable)
	also[schema.Message](r, &send, http.StatusOK, "A retry: the message stored earlier with this clientMsgId.")
	also[schema.Message](r, &send, http.StatusAccepted, "Accepted durably, seq pending: only seq is not filled in yet.")
	huma.Register(r.api, send, s.adminSendMessage)
	huma.Register(r.api, r.secured("adminDeactivateUser", http.MethodPost, "/v1/admin/users/{userId}/deactivate", tagAdmin,
		"Deactivate a user",
		"Deactivates a user (admin keys only): every sign-in of theirs is refused from then on — password, session, "+
			"application token, bot key —, their sessions end and their sockets close on every node; their messages "+
			"and memberships stay. Deactivating twice is harmless.", http.StatusOK, http.StatusForbidden, http.StatusNotFound),
		s.adminDeactivateUser)
	huma.Register(r.api, r.secured("adminReactivateUser", http.MethodPost, "/v1/admin/users/{userId}/reactivate", tagAdmin,
		"Reactivate a user", "Lifts a deactivation (admin keys only): the user can sign in again.", http.StatusOK,
		http.StatusForbidden, http.StatusNotFound), s.adminReactivateUser)
	huma.Register(r.api, r.secured("adminExportEvents", http.MethodGet, "/v1/admin/conversations/{conversationId}/events", tagAdmin,
		"Export a conversation",
		"Returns every event of a conversation after a seq, dense and in order (admin keys only): page with next "+
			"until it is absent to export the whole conversation.", http.StatusOK, http.StatusForbidden, http.StatusNotFound),
		s.adminExportEvents)
}

func apiKeyOf(k core.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Scope: string(k.Scope), BotUserID: k.BotUserID, CreatedAt: k.CreatedAt.UTC(),
		RevokedAt: k.RevokedAt}
}

func (s *server) createAPIKey(ctx context.Context, in *createAPIKeyInput) (*body[CreatedAPIKey], error) {
	k, err := s.svc.CreateAPIKey(ctx, caller(ctx).Caller, chat.NewAPIKeyInput{Name: in.Body.Name,
		Scope: core.APIKeyScope(in.Body.Scope), BotUsername: in.Body.BotUsername, BotDisplayName: in.Body.BotDisplayName})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := CreatedAPIKey{APIKey: apiKeyOf(k.Key), Key: k.Secret}
	if k.Bot != nil {
		u := schema.UserOf(*k.Bot)
		out.Bot = &u
	}
	return &body[CreatedAPIKey]{Body: out}, nil
}

func (s *server) listAPIKeys(ctx context.Context, in *listAPIKeysInput) (*body[APIKeyList], error) {
	p, err := s.svc.APIKeys(ctx, caller(ctx).Caller, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[APIKeyList]{Body: APIKeyList{Items: mapItems(p.Items, apiKeyOf), Next: p.Next}}, nil
}

func (s *server) revokeAPIKey(ctx context.Context, in *apiKeyPath) (*body[APIKey], error) {
	k, err := s.svc.RevokeAPIKey(ctx, caller(ctx).Caller, in.KeyID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[APIKey]{Body: apiKeyOf(k)}, nil
}

func (s *server) adminCreateUser(ctx context.Context, in *adminCreateUserInput) (*body[schema.User], error) {
	u, err := s.svc.AdminCreateUser(ctx, caller(ctx).Caller, chat.AdminUserInput{Username: in.Body.Username,
		DisplayName: in.Body.DisplayName, ExternalSubject: in.Body.ExternalSubject})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}

func (s *server) adminCreateConversation(ctx context.Context, in *adminCreateConversationInput) (*withStatus[schema.Conversation], error) {
	sum, created, err := s.svc.AdminCreateConversation(ctx, caller(ctx).Caller, in.Body.OwnerID, chat.CreateInput{
		Kind: core.Kind(in.Body.Kind), Title: in.Body.Title, Topic: in.Body.Topic, MemberIDs: in.Body.MemberIDs})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &withStatus[schema.Conversation]{Status: createdStatus(created), Body: schema.SummaryOf(sum)}, nil
}

func (s *server) adminSendMessage(ctx context.Context, in *adminSendMessageInput) (*withStatus[schema.Message], error) {
	sent, err := s.svc.AdminSend(ctx, caller(ctx).Caller, in.Body.SenderID, sendInput(in.ConversationID, in.Body.SendMessageRequest))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.sent(sent), nil
}

func (s *server) adminExportEvents(ctx context.Context, in *listEventsInput) (*body[EventList], error) {
	events, more, err := s.svc.AdminEvents(ctx, caller(ctx).Caller, in.ConversationID, in.After, in.Limit)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[EventList]{Body: eventPage(events, more)}, nil
}

func (s *server) adminDeactivateUser(ctx context.Context, in *userPath) (*body[schema.User], error) {
	u, err := s.svc.AdminDeactivateUser(ctx, caller(ctx).Caller, in.UserID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}

func (s *server) adminReactivateUser(ctx context.Context, in *userPath) (*body[schema.User], error) {
	u, err := s.svc.AdminReactivateUser(ctx, caller(ctx).Caller, in.UserID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}
