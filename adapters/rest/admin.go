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
