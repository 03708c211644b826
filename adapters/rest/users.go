package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/core/chat"
)

// RegisterRequest is a new account.
type RegisterRequest struct {
	Username    string `json:"username" minLength:"3" maxLength:"32" example:"alice" doc:"3 to 32 of a-z, 0-9, '_', '.', '-' (upper case is lowered)."`
	Password    string `json:"password" minLength:"8" maxLength:"256" doc:"8 to 256 characters."`
	DisplayName string `json:"displayName,omitempty" maxLength:"64" example:"Alice Liddell" doc:"Name shown to others; defaults to the username."`
}

// LoginRequest is a username and password.
type LoginRequest struct {
	Username string `json:"username" maxLength:"64" example:"alice"`
	Password string `json:"password" maxLength:"256"`
}

type registerInput struct {
	Body RegisterRequest
}

type loginInput struct {
	Body LoginRequest
}

type searchUsersInput struct {
	Q string `query:"q" maxLength:"64" doc:"Matches a username prefix or part of a display name (case-insensitive); empty lists everyone."`
	PageParams
}

// PasswordChange proves the current password and sets a new one.
type PasswordChange struct {
	CurrentPassword string `json:"currentPassword" maxLength:"256" doc:"The password in use now."`
	NewPassword     string `json:"newPassword" minLength:"8" maxLength:"256" doc:"8 to 256 characters."`
}

type passwordInput struct {
	Body PasswordChange
}

type userPath struct {
	UserID string `path:"userId" doc:"User id."`
}

func registerUsers(r registrar, s *server) {
	huma.Register(r.api, r.public("registerUser", http.MethodPost, "/v1/users", tagUsers, "Register an account",
		"Creates an account. Log in with createSession afterwards.", http.StatusCreated, http.StatusConflict,
		http.StatusServiceUnavailable), s.registerUser)
	huma.Register(r.api, r.public("createSession", http.MethodPost, "/v1/sessions", tagSessions, "Log in",
		"Checks a username and password and returns a bearer token for the Authorization header.",
		http.StatusCreated, http.StatusUnauthorized, http.StatusServiceUnavailable), s.createSession)
	huma.Register(r.api, r.secured("deleteCurrentSession", http.MethodDelete, "/v1/sessions/current", tagSessions, "Log out",
		"Revokes the token this request presents.", http.StatusNoContent), s.deleteCurrentSession)
	huma.Register(r.api, r.secured("deleteAllSessions", http.MethodDelete, "/v1/sessions", tagSessions, "Log out everywhere",
		"Revokes every token of the current user, this one included, and ends their real-time connections on every node.",
		http.StatusNoContent), s.deleteAllSessions)
	huma.Register(r.api, r.secured("changePassword", http.MethodPut, "/v1/users/me/password", tagUsers, "Change the password",
		"Sets a new password once the current one is proven. Every other session of the user is revoked (and its "+
			"real-time connections end); the token of this request stays valid.",
		http.StatusNoContent, http.StatusForbidden), s.changePassword)
	huma.Register(r.api, r.secured("getMe", http.MethodGet, "/v1/users/me", tagUsers, "Get the current user",
		"Returns the user the token belongs to.", http.StatusOK), s.getMe)
	huma.Register(r.api, r.secured("searchUsers", http.MethodGet, "/v1/users", tagUsers, "Search users",
		"Finds users by username prefix or display name, ordered by username.", http.StatusOK), s.searchUsers)
	huma.Register(r.api, r.secured("getUser", http.MethodGet, "/v1/users/{userId}", tagUsers, "Get a user",
		"Returns a user by id.", http.StatusOK, http.StatusNotFound), s.getUser)
}

func (s *server) registerUser(ctx context.Context, in *registerInput) (*body[schema.User], error) {
	u, err := s.svc.Register(ctx, chat.RegisterInput{Username: in.Body.Username, Password: in.Body.Password,
		DisplayName: in.Body.DisplayName})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}

func (s *server) createSession(ctx context.Context, in *loginInput) (*body[Session], error) {
	l, err := s.svc.LogIn(ctx, in.Body.Username, in.Body.Password)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[Session]{Body: Session{Token: l.Token, ExpiresAt: l.ExpiresAt.UTC(), User: schema.UserOf(l.User)}}, nil
}

func (s *server) deleteCurrentSession(ctx context.Context, _ *struct{}) (*struct{}, error) {
	if err := s.svc.LogOut(ctx, caller(ctx).token); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) deleteAllSessions(ctx context.Context, _ *struct{}) (*struct{}, error) {
	if err := s.svc.LogOutEverywhere(ctx, caller(ctx).token); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) changePassword(ctx context.Context, in *passwordInput) (*struct{}, error) {
	if err := s.svc.ChangePassword(ctx, caller(ctx).token, in.Body.CurrentPassword, in.Body.NewPassword); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &struct{}{}, nil
}

func (s *server) getMe(ctx context.Context, _ *struct{}) (*body[schema.User], error) {
	return &body[schema.User]{Body: schema.UserOf(caller(ctx).user)}, nil
}

func (s *server) searchUsers(ctx context.Context, in *searchUsersInput) (*body[UserList], error) {
	p, err := s.svc.SearchUsers(ctx, in.Q, core.PageRequest{Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[UserList]{Body: UserList{Items: mapItems(p.Items, schema.UserOf), Next: p.Next}}, nil
}

func (s *server) getUser(ctx context.Context, in *userPath) (*body[schema.User], error) {
	u, err := s.svc.User(ctx, in.UserID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[schema.User]{Body: schema.UserOf(u)}, nil
}
