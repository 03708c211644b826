package postgres

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/scalechat/scalechat/core"
)

// The history reads (BenchmarkHistory explains them): range scans of the (conversation_id, seq) indexes.
const (
	sqlMessagesAfter = `SELECT ` + msgCols + ` FROM messages m
		WHERE m.conversation_id = $1 AND m.thread_root_id = $5 AND m.seq > $2 AND m.seq < $3 ORDER BY m.seq LIMIT $4`
	sqlMessagesBefore = `SELECT ` + msgCols + ` FROM messages m
		WHERE m.conversation_id = $1 AND m.thread_root_id = $4 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`
	sqlEventsAfter = `SELECT conversation_id, seq, type, at, actor_id, data FROM events
		WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
)

// Messages returns a page of messages in ascending seq order, per core.HistoryQuery. Both directions are
// range scans of the (conversation_id, seq) index.
func (s *Store) Messages(ctx context.Context, conversationID string, q core.HistoryQuery) ([]core.Message, bool, error) {
	limit, err := core.ClampLimit(q.Limit, core.DefaultPageLimit, core.MaxHistoryLimit)
	if err != nil {
		return nil, false, err
	}
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	// Fetch one row beyond the page to learn whether more exist in the direction of the query.
	var msgs []core.Message
	if q.Forwards() {
		msgs, err = queryAll(ctx, s.pool, scanMessage, sqlMessagesAfter, conversationID, q.After, before, limit+1, q.ThreadRootID)
	} else {
		msgs, err = queryAll(ctx, s.pool, scanMessage, sqlMessagesBefore, conversationID, before, limit+1, q.ThreadRootID)
	}
	if err != nil {
		return nil, false, err
	}
	more := len(msgs) > limit
	if more {
		msgs = msgs[:limit]
	}
	if !q.Forwards() {
		slices.Reverse(msgs)
	}
	return msgs, more, nil
}

// Message returns one message of the conversation or core.ErrNotFound.
func (s *Store) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	return getMessage(ctx, s.pool, conversationID, messageID)
}

// MessageByClientMsgID returns the message a sender sent with that clientMsgId, or core.ErrNotFound.
func (s *Store) MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error) {
	return getMessageByKey(ctx, s.pool, conversationID, senderID, clientMsgID)
}

// Events returns up to limit events with seq > after, in seq order, and whether more exist.
func (s *Store) Events(ctx context.Context, conversationID string, after int64, limit int) ([]core.Event, bool, error) {
	limit, err := core.ClampLimit(limit, core.DefaultPageLimit, MaxEventsLimit)
	if err != nil {
		return nil, false, err
	}
	evs, err := queryAll(ctx, s.pool, scanEvent, sqlEventsAfter, conversationID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, nil
}

// Reactions returns the tallies of those of messageIDs of the conversation that have reactions.
func (s *Store) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	return reactionsOf(ctx, s.pool, conversationID, viewerID, messageIDs)
}

// reactionsOf tallies the reactions of messageIDs in one statement, one row per (message, emoji), each
// message's emoji in the order of their first reaction.
func reactionsOf(ctx context.Context, q querier, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	out := map[string][]core.ReactionCount{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT r.message_id, r.emoji, count(*), bool_or(r.user_id = $2), min(r.seq) AS first
		FROM reactions r WHERE r.message_id = ANY($3) AND r.conversation_id = $1
		GROUP BY r.message_id, r.emoji ORDER BY r.message_id, first, r.emoji`, conversationID, viewerID, messageIDs)
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c core.ReactionCount
		var first int64
		if err := rows.Scan(&id, &c.Emoji, &c.Count, &c.Me, &first); err != nil {
			return nil, translate(err, "")
		}
		out[id] = append(out[id], c)
	}
	return out, translate(rows.Err(), "")
}

// Pins returns the conversation's pinned messages, most recently pinned first.
func (s *Store) Pins(ctx context.Context, conversationID string) ([]core.Message, error) {
	return queryAll(ctx, s.pool, scanMessage, `SELECT `+msgCols+` FROM messages m
		WHERE m.conversation_id = $1 AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.seq`, conversationID)
}

// MentionsOf lists the messages that mention userID in its conversations, newest first. The cursor holds the
// last item's creation time in unix microseconds and its id.
func (s *Store) MentionsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Message], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor)
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	items, err := queryAll(ctx, s.pool, scanMessage, `SELECT `+msgCols+` FROM messages m
		JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = $1
		WHERE (m.mentions @> ARRAY[$1::text] OR m.mention_all = 'channel')
			AND m.deleted_at IS NULL AND m.sender_id <> $1
			AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2::timestamptz, $3::text))
		ORDER BY m.created_at DESC, m.id DESC LIMIT $4`, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	return pageOf(items, limit, func(m core.Message) []string {
		return []string{strconv.FormatInt(m.CreatedAt.UnixMicro(), 10), m.ID}
	}), nil
}

// timeCursor decodes a (unix microseconds, id) cursor; nil time for the first page.
func timeCursor(cursor string) (*time.Time, string, error) {
	key, err := core.DecodeCursor(cursor, 2)
	if err != nil || key == nil {
		return nil, "", err
	}
	us, err := strconv.ParseInt(key[0], 10, 64)
	if err != nil {
		return nil, "", core.Invalid("cursor", "malformed cursor")
	}
	t := time.UnixMicro(us).UTC()
	return &t, key[1], nil
}
