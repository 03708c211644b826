package chat

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// Search finds the messages actor can read whose text matches q.Text (see core.SearchQuery), newest first,
// a page at a time: only in the conversations actor is a member of now, never deleted messages, edited ones
// by their current text. q.UserID is set to actor. Searches count against the search limit.
func (s *Service) Search(ctx context.Context, actor string, q core.SearchQuery) (core.Page[core.SearchHit], error) {
	q.UserID = actor
	if err := core.ValidateSearchQuery(q); err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	if err := s.allow(ctx, LimitSearch, actor, "searches"); err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	return s.d.Search.Search(ctx, q)
}
