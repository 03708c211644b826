package memory

import (
	"context"
	"sort"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.SearchStore = (*Store)(nil)

// Search scans the messages of the viewer's conversations, per ports.SearchStore, with core.MatchSearch: the
// reference semantics the other stores are held to.
func (s *Store) Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	terms, err := core.ParseSearchText(q.Text)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	limit, err := core.SearchLimit(q.Limit)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	afterAt, afterID, paged, err := core.DecodeSearchCursor(q.Cursor)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	// older reports whether m sorts after the cursor's position (newest first: created_at, then id, descending).
	older := func(m core.Message) bool {
		return !paged || m.CreatedAt.Before(afterAt) || m.CreatedAt.Equal(afterAt) && m.ID < afterID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hits []core.SearchHit
	for conv := range s.d.userConvs[q.UserID] {
		if q.ConversationID != "" && conv != q.ConversationID {
			continue
		}
		for _, id := range s.d.convMsgs[conv] {
			m := s.d.messages[id]
			if m.Deleted() || (q.SenderID != "" && m.SenderID != q.SenderID) ||
				(!q.After.IsZero() && m.CreatedAt.Before(q.After)) || (!q.Before.IsZero() && !m.CreatedAt.Before(q.Before)) ||
				!older(m) {
				continue
			}
			if hl, ok := core.MatchSearch(m.Body, terms); ok {
				hits = append(hits, core.SearchHit{Message: cloneMessage(m), Highlight: hl})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i].Message, hits[j].Message
		return a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID
	})
	if len(hits) <= limit {
		if hits == nil {
			hits = []core.SearchHit{}
		}
		return core.Page[core.SearchHit]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.SearchHit]{Items: hits, Next: core.SearchCursor(hits[limit-1].Message)}, nil
}
