package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"math"
	"slices"
	"strings"

	"modernc.org/sqlite"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

var _ ports.SearchStore = (*Store)(nil)

// scalechat_word_pairs(conversation, body) is the pairs column of the search index (migration 0011):
// wordPairTokens of the message. Registered with the driver before any connection opens, so that every
// connection's triggers have it.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("scalechat_word_pairs", 2,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			conv, _ := args[0].(string)
			body, _ := args[1].(string) // NULL (never stored) has no pairs
			var b strings.Builder
			core.SearchWordPairs(body, func(first, second string) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(wordPairToken(conv, first, second))
			})
			return b.String(), nil
		})
}

// wordPairToken is the FTS token of the adjacent words first and second (core.SearchWordPairs) in conversation
// conv: 'p' and the first 12 hex digits of the FNV-1a hash of the three. A message holding a phrase holds the
// tokens of its pairs in its conversation, so a phrase search asks the index for the tokens of the phrase's
// pairs in each of the viewer's conversations, with the phrase: FTS5 intersects the short lists of the pairs
// before it reads the words' positions. Two pairs with one hash (48 bits) only make a candidate that the phrase
// itself then refuses.
func wordPairToken(conv, first, second string) string {
	h := fnv.New64a()
	h.Write([]byte(conv))
	h.Write([]byte{0})
	h.Write([]byte(first))
	h.Write([]byte{' '})
	h.Write([]byte(second))
	var sum [8]byte
	return "p" + hex.EncodeToString(h.Sum(sum[:0])[:6])
}

// maxPhrasePairs is how many adjacent pairs of a search's phrases its index query names (the first ones): each
// names a token per conversation of the viewer, and two pairs narrow the candidates enough for the phrase.
const maxPhrasePairs = 2

// Search plans (see Search).
const (
	// DefaultSearchFewMatches is how many index matches a search collects and sorts at most; with more, it
	// reads the viewer's messages newest first instead.
	DefaultSearchFewMatches = 2000
	// DefaultSearchBatch is how many of the viewer's messages the newest-first reading checks against the
	// index at once.
	DefaultSearchBatch = 500
	// MaxSearchConversations is how many conversations of a viewer a search names in its index query; the
	// searches of a member of more are narrowed to theirs by the join with their memberships only.
	MaxSearchConversations = 500
)

const (
	// sqlSearchFilters ends the statements that read matches for the viewer ?2: no tombstone (belt and braces: a
	// tombstone's body is '' and has no words in the index), the optional filters ('' or the open bounds):
	// conversation ?3, sender ?4, created_at from ?5 to ?6, the cursor (?7, ?8) — the first page's is past every
	// key —, newest first, ?9 at most.
	sqlSearchFilters = ` AND m.deleted_at IS NULL
			AND (?3 = '' OR m.conversation_id = ?3) AND (?4 = '' OR m.sender_id = ?4)
			AND m.created_at >= ?5 AND m.created_at < ?6 AND (m.created_at, m.id) < (?7, ?8)
		ORDER BY m.created_at DESC, m.id DESC LIMIT ?9`
	// sqlSearchMatches lists the index matches, up to one more than searchFewMatches: the index alone.
	sqlSearchMatches = `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?`
	// sqlSearchFound reads the index matches found by sqlSearchMatches (rowids ?1, a JSON array) that the
	// viewer (?2) can read and that pass the filters (sqlSearchFilters).
	sqlSearchFound = `SELECT ` + msgCols + ` FROM messages m
		CROSS JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
		WHERE m.rowid IN (SELECT value FROM json_each(?1))` + sqlSearchFilters
	// sqlSearchFew joins the index matches (?1) to their messages and to the viewer's (?2) memberships, filters
	// and sorts them (sqlSearchFilters).
	sqlSearchFew = `SELECT ` + msgCols + ` FROM messages_fts f
		CROSS JOIN messages m ON m.rowid = f.rowid
		CROSS JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
		WHERE messages_fts MATCH ?1` + sqlSearchFilters
	// sqlSearchRecent reads a batch of the messages of conversations ?1 (a JSON array) newest first from the
	// messages_recent index alone, with the same filters.
	sqlSearchRecent = `SELECT m.rowid, m.created_at, m.id FROM messages m INDEXED BY messages_recent
		WHERE m.conversation_id IN (SELECT value FROM json_each(?1))
			AND (?2 = '' OR m.sender_id = ?2) AND m.created_at >= ?3 AND m.created_at < ?4
			AND (m.created_at, m.id) < (?5, ?6)
		ORDER BY m.created_at DESC, m.id DESC LIMIT ?7`
	// sqlSearchRange returns the index matches among rowids ?2..?3: a range of the index's lists, whatever
	// their length.
	sqlSearchRange = `SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3`
	// sqlSearchRows reads the messages found (rowids ?1, a JSON array) that the viewer (?2) can read now.
	sqlSearchRows = `SELECT ` + msgCols + ` FROM messages m
		JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2
		WHERE m.rowid IN (SELECT value FROM json_each(?1)) AND m.deleted_at IS NULL
		ORDER BY m.created_at DESC, m.id DESC`
)

// searchArgs are a search's bounds as stored: times in milliseconds, the open ones at the extremes.
type searchArgs struct {
	from, to int64  // created_at range
	curAt    int64  // the cursor: created_at,
	curID    string // then id, both exclusive
}

// Search finds the messages the viewer can read by their words, per ports.SearchStore, in the FTS5 index
// messages_fts (migrations 0010 and 0011). It lists the matches in the index (up to a bound, the index alone).
// A search with a phrase names, for its first adjacent word pairs, their tokens in each of the viewer's
// conversations (up to MaxSearchConversations of them), so the index alone narrows the matches to the
// messages the viewer may read that hold the pairs. Other searches first list the matches in all
// conversations: when there are more than DefaultSearchFewMatches, they list them again with a query that
// names the viewer's conversations. Then one of two plans:
//
//   - up to DefaultSearchFewMatches matches (rare words, phrases, or one conversation): read them and sort;
//   - more (common words): read the viewer's messages newest first, DefaultSearchBatch at a time, from the
//     messages_recent index, keeping those the index matches in the batch's rowid range, until a page is full.
//
// Either costs about what a page needs rather than what the whole database matches. Highlights are made from
// the bodies found, with core.MatchSearch.
func (s *Store) Search(ctx context.Context, q core.SearchQuery) (core.Page[core.SearchHit], error) {
	none := core.Page[core.SearchHit]{Items: []core.SearchHit{}}
	terms, err := core.ParseSearchText(q.Text)
	if err != nil {
		return none, err
	}
	limit, err := core.SearchLimit(q.Limit)
	if err != nil {
		return none, err
	}
	afterAt, afterID, paged, err := core.DecodeSearchCursor(q.Cursor)
	if err != nil {
		return none, err
	}
	a := searchArgs{from: math.MinInt64, to: math.MaxInt64, curAt: math.MaxInt64}
	if !q.After.IsZero() {
		a.from = toMS(q.After)
	}
	if !q.Before.IsZero() {
		a.to = toMS(q.Before)
	}
	if paged {
		a.curAt, a.curID = toMS(afterAt), afterID
	}
	convs := []string{q.ConversationID}
	if q.ConversationID == "" {
		if convs, err = s.ConversationIDsOf(ctx, q.UserID); err != nil || len(convs) == 0 {
			return none, err
		}
	}
	matches := func(match string) ([]int64, error) {
		return queryAll(ctx, s.r, func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, sqlSearchMatches, match, s.searchFew+1)
	}
	// A phrase: its pairs in the viewer's conversations name its candidates, few of them. Else first the
	// matches in every conversation: few of them (rare words) are joined and sorted at once, and naming the
	// viewer's conversations in the query would cost more than it saves.
	match := ftsQuery(terms, nil, nil)
	phrasePairs := len(convs) <= MaxSearchConversations && slices.ContainsFunc(terms, func(p []string) bool { return len(p) > 1 })
	if phrasePairs {
		match = ftsQuery(terms, nil, convs)
	}
	found, err := matches(match)
	if err != nil {
		return none, err
	}
	if len(found) > s.searchFew && len(convs) <= MaxSearchConversations && !phrasePairs {
		match = ftsQuery(terms, convs, nil)
		if found, err = matches(match); err != nil {
			return none, err
		}
	}
	var msgs []core.Message
	switch {
	case len(found) <= s.searchFew:
		var list []byte
		if list, err = json.Marshal(found); err != nil {
			return none, core.Wrap(core.CodeInternal, err, "cannot encode ids")
		}
		msgs, err = queryAll(ctx, s.r, scanMessage, sqlSearchFound, string(list), q.UserID, q.ConversationID, q.SenderID,
			a.from, a.to, a.curAt, a.curID, limit+1)
	case len(convs) > MaxSearchConversations:
		msgs, err = queryAll(ctx, s.r, scanMessage, sqlSearchFew, match, q.UserID, q.ConversationID, q.SenderID,
			a.from, a.to, a.curAt, a.curID, limit+1)
	default:
		msgs, err = s.searchRecent(ctx, q, convs, match, a, limit+1)
	}
	if err != nil {
		return none, err
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

// searchRecent is the newest-first plan of Search: up to want messages of convs matching match, in order.
func (s *Store) searchRecent(ctx context.Context, q core.SearchQuery, convs []string, match string, a searchArgs,
	want int) ([]core.Message, error) {
	list, err := json.Marshal(convs)
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode ids")
	}
	type key struct {
		rowid int64
		at    int64
		id    string
	}
	var found []int64
	for len(found) < want {
		batch, err := queryAll(ctx, s.r, func(r scanner) (key, error) {
			var k key
			return k, r.Scan(&k.rowid, &k.at, &k.id)
		}, sqlSearchRecent, string(list), q.SenderID, a.from, a.to, a.curAt, a.curID, s.searchBatch)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			break
		}
		lo, hi := batch[0].rowid, batch[0].rowid
		for _, k := range batch {
			lo, hi = min(lo, k.rowid), max(hi, k.rowid)
		}
		ids, err := queryAll(ctx, s.r, func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, sqlSearchRange, match, lo, hi)
		if err != nil {
			return nil, err
		}
		matched := make(map[int64]bool, len(ids))
		for _, id := range ids {
			matched[id] = true
		}
		for _, k := range batch {
			if matched[k.rowid] && len(found) < want {
				found = append(found, k.rowid)
			}
		}
		last := batch[len(batch)-1]
		a.curAt, a.curID = last.at, last.id
		if len(batch) < s.searchBatch {
			break
		}
	}
	if len(found) == 0 {
		return []core.Message{}, nil
	}
	rowids, err := json.Marshal(found)
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode ids")
	}
	return queryAll(ctx, s.r, scanMessage, sqlSearchRows, string(rowids), q.UserID)
}

// ftsQuery writes terms in FTS5's query syntax, for the body column: every phrase quoted (so words such as
// OR, NOT or NEAR are words, not operators), phrases side by side (AND); when convs is not empty, "in one of
// convs" for the conversation column (migration 0010); when pairConvs is not empty, for each of the first
// maxPhrasePairs adjacent word pairs of the phrases, "the pair in one of pairConvs" for the pairs column
// (migration 0011), which names only messages of pairConvs.
func ftsQuery(terms core.SearchTerms, convs, pairConvs []string) string {
	var b strings.Builder
	b.WriteString("body : (")
	for i, p := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(strings.Join(p, " "), `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte(')')
	if len(pairConvs) > 0 {
		pairs := 0
		for _, p := range terms {
			for i := 1; i < len(p) && pairs < maxPhrasePairs; i++ {
				pairs++
				b.WriteString(" AND pairs : (")
				for k, c := range pairConvs {
					if k > 0 {
						b.WriteString(" OR ")
					}
					b.WriteString(wordPairToken(c, p[i-1], p[i]))
				}
				b.WriteByte(')')
			}
		}
	}
	if len(convs) == 0 {
		return b.String()
	}
	b.WriteString(" AND conversation : (")
	for i, c := range convs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(`"c`)
		b.WriteString(hex.EncodeToString([]byte(c)))
		b.WriteByte('"')
	}
	b.WriteByte(')')
	return b.String()
}
