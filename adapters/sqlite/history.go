package sqlite

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/scalechat/scalechat/core"
)

// The history reads (BenchmarkHistory explains them): range scans of the (conversation_id, seq) indexes.
const (
	sqlMessagesAfter = `SELECT ` + msgCols + ` FROM messages m
		WHERE m.conversation_id = ? AND m.thread_root_id = ? AND m.seq > ? AND m.seq < ? ORDER BY m.seq LIMIT ?`
	sqlMessagesBefore = `SELECT ` + msgCols + ` FROM messages m
		WHERE m.conversation_id = ? AND m.thread_root_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?`
	sqlEventsAfter = `SELECT conversation_id, seq, type, at, actor_id, data FROM events
		WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`
)

// Messages returns a page of messages in ascending seq order, per core.HistoryQuery.
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
		msgs, err = queryAll(ctx, s.r, scanMessage, sqlMessagesAfter, conversationID, q.ThreadRootID, q.After, before, limit+1)
	} else {
		msgs, err = queryAll(ctx, s.r, scanMessage, sqlMessagesBefore, conversationID, q.ThreadRootID, before, limit+1)
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
	if msgs == nil {
		msgs = []core.Message{}
	}
	return msgs, more, nil
}

// Message returns one message of the conversation or core.ErrNotFound.
func (s *Store) Message(ctx context.Context, conversationID, messageID string) (core.Message, error) {
	return getMessage(ctx, s.r, conversationID, messageID)
}

// MessageByClientMsgID returns the message a sender sent with that clientMsgId, or core.ErrNotFound.
func (s *Store) MessageByClientMsgID(ctx context.Context, conversationID, senderID, clientMsgID string) (core.Message, error) {
	return getMessageByKey(ctx, s.r, conversationID, senderID, clientMsgID)
}

// Events returns up to limit events with seq > after, in seq order, and whether more exist.
func (s *Store) Events(ctx context.Context, conversationID string, after int64, limit int) ([]core.Event, bool, error) {
	limit, err := core.ClampLimit(limit, core.DefaultPageLimit, MaxEventsLimit)
	if err != nil {
		return nil, false, err
	}
	evs, err := queryAll(ctx, s.r, scanEvent, sqlEventsAfter, conversationID, after, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	if evs == nil {
		evs = []core.Event{}
	}
	return evs, more, nil
}

// Reactions returns the tallies of those of messageIDs of the conversation that have reactions.
func (s *Store) Reactions(ctx context.Context, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	return reactionsOf(ctx, s.r, conversationID, viewerID, messageIDs)
}

// reactionsOf tallies the reactions of messageIDs, one row per (message, emoji), each message's emoji in the
// order of their first reaction. The ids travel as one JSON array, so a page of messages is one statement.
func reactionsOf(ctx context.Context, q queryer, conversationID, viewerID string, messageIDs []string) (map[string][]core.ReactionCount, error) {
	out := map[string][]core.ReactionCount{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(messageIDs)
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode message ids")
	}
	rows, err := q.QueryContext(ctx, `SELECT r.message_id, r.emoji, count(*), max(r.user_id = ?), min(r.seq) AS first
		FROM reactions r WHERE r.conversation_id = ? AND r.message_id IN (SELECT value FROM json_each(?))
		GROUP BY r.message_id, r.emoji ORDER BY r.message_id, first, r.emoji`, viewerID, conversationID, string(ids))
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
	msgs, err := queryAll(ctx, s.r, scanMessage, `SELECT `+msgCols+` FROM messages m
		WHERE m.conversation_id = ? AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.seq`, conversationID)
	if msgs == nil {
		msgs = []core.Message{}
	}
	return msgs, err
}

// MentionsOf lists the messages that mention userID in its conversations, newest first. The cursor holds the
// last item's creation time in unix milliseconds and its id.
func (s *Store) MentionsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Message], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor) // the first page: no time reaches MaxInt64
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	items, err := queryAll(ctx, s.r, scanMessage, `SELECT `+msgCols+` FROM members mb
		JOIN messages m ON m.conversation_id = mb.conversation_id
		WHERE mb.user_id = ? AND m.deleted_at IS NULL AND m.sender_id <> mb.user_id
			AND (m.mention_all = 'channel' OR m.mentions IS NOT NULL
				AND EXISTS (SELECT 1 FROM json_each(m.mentions) j WHERE j.value = mb.user_id))
			AND (m.created_at, m.id) < (?, ?)
		ORDER BY m.created_at DESC, m.id DESC LIMIT ?`, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.Message]{}, err
	}
	if items == nil {
		items = []core.Message{}
	}
	return pageOf(items, limit, func(m core.Message) []string {
		return []string{strconv.FormatInt(toMS(m.CreatedAt), 10), m.ID}
	}), nil
}
