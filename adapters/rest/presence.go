package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
)

// PresenceList is the presence of the users asked about, in the order asked.
type PresenceList struct {
	Items []schema.Presence `json:"items" nullable:"false" doc:"One entry per user asked about."`
}

type presenceInput struct {
	UserIDs []string `query:"userIds" minItems:"1" maxItems:"200" explode:"false" doc:"Comma-separated user ids (1 to 200)."`
}

func registerPresence(r registrar, s *server) {
	huma.Register(r.api, r.secured("getPresence", http.MethodGet, "/v1/presence", tagUsers, "Get presence",
		"Returns whether each user is online (has a live Socket.IO connection) and when they were last seen. A user "+
			"who shares no direct or group conversation with the caller, or who blocks the caller, is shown offline "+
			"with no lastSeenAt, like an unknown user (unless the server runs with --presence-visibility everyone).",
		http.StatusOK), s.getPresence)
}

func (s *server) getPresence(ctx context.Context, in *presenceInput) (*body[PresenceList], error) {
	ps, err := s.svc.Presence(ctx, caller(ctx).user.ID, in.UserIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[PresenceList]{Body: PresenceList{Items: mapItems(ps, schema.PresenceOf)}}, nil
}
