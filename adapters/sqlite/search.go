package sqlite

import (
	"context"
	"math"
	"strings"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.SearchStore = (*Store)(nil)

// sqlSearch finds the messages matching an FTS5 query (?1) that the viewer (?2) can read now, newest first.
// The full-text index drives: its matches are joined to their messages (by rowid) and to the viewer's
// membership, and only those are sorted. Optional filters pass ” or the open bounds. The deleted_at test is
// belt and braces: a tombstone's body is ” and has no words in the index.
const sqlSearch = `SELECT ` + msgCols + ` FROM messages_fts f
	CROSS JOIN messages m ON m.rowid = f.rowid
	CROSS JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
	WHERE messages_fts MATCH ?1 AND m.deleted_at IS NULL
		AND (?3 = '' OR m.conversation_id = ?3) AND (?4 = '' OR m.sender_id = ?4)
		AND m.created_at >= ?5 AND m.created_at < ?6
		AND (m.created_at < ?7 OR (m.created_at = ?7 AND m.id < ?8))
	ORDER BY m.created_at DESC, m.id DESC LIMIT ?9`

// Search finds the messages the viewer can read by their words, per ports.SearchStore, in the FTS5 index
// messages_fts (migration 0010). Highlights are made from the bodies found, with core.MatchSearch.
func (s *Store) Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error) {
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
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.After.IsZero() {
		from = toMS(q.After)
	}
	if !q.Before.IsZero() {
		to = toMS(q.Before)
	}
	// The first page starts past every key: created_at below MaxInt64 (an id is never compared then).
	curAt, curID := int64(math.MaxInt64), ""
	if paged {
		curAt, curID = toMS(afterAt), afterID
	}
	msgs, err := queryAll(ctx, s.r, scanMessage, sqlSearch, ftsQuery(terms), q.UserID, q.ConversationID, q.SenderID,
		from, to, curAt, curID, limit+1)
	if err != nil {
		return core.Page[core.SearchHit]{}, err
	}
	hits := make([]core.SearchHit, len(msgs))
	for i, m := range msgs {
		hl, ok := core.MatchSearch(m.Body, terms)
		if !ok { // the index and Go split a word differently (a rare character): no marks, not no hit
			hl = m.Body
		}
		hits[i] = core.SearchHit{Message: m, Highlight: hl}
	}
	if len(hits) <= limit {
		return core.Page[core.SearchHit]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.SearchHit]{Items: hits, Next: core.SearchCursor(hits[limit-1].Message)}, nil
}

// ftsQuery writes terms in FTS5's query syntax: every phrase quoted (so words such as OR, NOT or NEAR are
// words, not operators), phrases side by side (AND).
func ftsQuery(terms core.SearchTerms) string {
	var b strings.Builder
	for i, p := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(strings.Join(p, " "), `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}
