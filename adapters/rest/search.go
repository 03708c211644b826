package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/scalechat/scalechat/adapters/schema"
	"github.com/scalechat/scalechat/core"
)

// SearchHit is one message found by a search.
type SearchHit struct {
	Message   schema.Message `json:"message" doc:"The message, as history returns it."`
	Highlight string         `json:"highlight" doc:"The message's body with every matched word between the characters U+0002 (start) and U+0003 (end), which a body never holds. Adjacent matched words may share one pair."`
}

// SearchResults is a page of search hits.
type SearchResults struct {
	Items []SearchHit `json:"items" nullable:"false" doc:"Matching messages, newest first (creation time, then id)."`
	Next  string      `json:"next,omitempty" doc:"Cursor of the next page; absent on the last page."`
}

type searchInput struct {
	Q              string    `query:"q" required:"true" maxLength:"1000" example:"launch \"on friday\"" doc:"Search text, 1 to 200 characters: words (letters and digits, case-insensitive), all of which must occur, and \"quoted phrases\", whose words must occur in order. Other characters only separate words."`
	ConversationID string    `query:"conversationId" doc:"Only this conversation."`
	SenderID       string    `query:"senderId" doc:"Only messages of this sender."`
	After          time.Time `query:"after" doc:"Only messages created at or after this time (RFC 3339)."`
	Before         time.Time `query:"before" doc:"Only messages created before this time (RFC 3339)."`
	Cursor         string    `query:"cursor" maxLength:"1024" doc:"The next value of the previous page; omit for the first page."`
	Limit          int       `query:"limit" minimum:"1" doc:"Page size (default 20; larger than 100 counts as 100)."`
}

func registerSearch(r registrar, s *server) {
	huma.Register(r.api, r.secured("searchMessages", http.MethodGet, "/v1/search", tagMessages, "Search messages",
		"Finds the messages of the conversations the caller is a member of now whose text matches q, newest first. "+
			"Deleted messages are never found, edited ones by their current text. Counts against the search rate limit.",
		http.StatusOK, http.StatusTooManyRequests), s.searchMessages)
}

func (s *server) searchMessages(ctx context.Context, in *searchInput) (*body[SearchResults], error) {
	p, err := s.svc.Search(ctx, caller(ctx).user.ID, core.SearchQuery{Text: in.Q, ConversationID: in.ConversationID,
		SenderID: in.SenderID, After: in.After, Before: in.Before, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &body[SearchResults]{Body: SearchResults{Items: mapItems(p.Items, func(h core.SearchHit) SearchHit {
		return SearchHit{Message: schema.MessageOf(h.Message), Highlight: h.Highlight}
	}), Next: p.Next}}, nil
}
