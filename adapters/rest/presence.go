package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/core"
)

// Presence is a user's online status.
type Presence struct {
	UserID     string     `json:"userId" doc:"User id."`
	Status     string     `json:"status" enum:"online,offline" doc:"online while the user has a live real-time connection."`
	LastSeenAt *time.Time `json:"lastSeenAt,omitempty" doc:"When the user was last seen connected (RFC 3339, UTC); absent when never."`
}

// PresenceList is the presence of the users asked about, in the order asked.
type PresenceList struct {
	Items []Presence `json:"items" nullable:"false" doc:"One entry per user asked about."`
}

type presenceInput struct {
	UserIDs []string `query:"userIds" minItems:"1" maxItems:"200" explode:"false" doc:"Comma-separated user ids (1 to 200)."`
}

func registerPresence(r registrar, s *server) {
	huma.Register(r.api, r.secured("getPresence", http.MethodGet, "/v1/presence", tagUsers, "Get presence",
		"Returns whether each user is online (has a live Socket.IO connection) and when they were last seen.",
		http.StatusOK), s.getPresence)
}

func (s *server) getPresence(ctx context.Context, in *presenceInput) (*body[PresenceList], error) {
	ps, err := s.svc.Presence(ctx, in.UserIDs)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[PresenceList]{Body: PresenceList{Items: mapItems(ps, PresenceOf)}}, nil
}

// PresenceOf converts a core presence to its API shape.
func PresenceOf(p core.Presence) Presence {
	out := Presence{UserID: p.UserID, Status: "offline"}
	if p.Online {
		out.Status = "online"
	}
	if !p.LastSeenAt.IsZero() {
		t := p.LastSeenAt.UTC()
		out.LastSeenAt = &t
	}
	return out
}
