package ports

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// SearchStore finds messages by their text.
type SearchStore interface {
	// Search returns a page of the messages that match q.Text (see core.SearchQuery for its syntax and
	// core.ParseSearchText for its words) and q's filters, newest first (CreatedAt, then ID, descending),
	// each with its body highlighted, cursor-paged by q.Cursor and q.Limit (default 20, at most 100).
	//
	// Only the messages of the conversations q.UserID is a member of at the time of the search are searched:
	// a member who left or was removed finds nothing there any more. Deleted messages (tombstones) never
	// match; an edited message matches by its current text only. After is inclusive, Before exclusive.
	// Malformed text or cursor and a negative limit are core.ErrInvalidArgument.
	Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error)
}
