package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/scalechat/scalechat/core"
)

// threadAggregates are the columns that sum up the live replies of the thread of root r.id in conversation
// r.conversation_id (the query names the root row r... and the follower f where it needs one).
const threadAggregates = `
	(SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.thread_root_id = m.id
		AND x.deleted_at IS NULL),
	(SELECT max(x.created_at) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.thread_root_id = m.id
		AND x.deleted_at IS NULL),
	(SELECT group_concat(DISTINCT x.sender_id) FROM messages x WHERE x.conversation_id = m.conversation_id
		AND x.thread_root_id = m.id AND x.deleted_at IS NULL)`

// threadInfo builds a ThreadInfo from the aggregate columns.
func threadInfo(count int, last sql.NullInt64, participants sql.NullString) core.ThreadInfo {
	info := core.ThreadInfo{ReplyCount: count}
	if last.Valid {
		info.LastReplyAt = fromMS(last.Int64)
	}
	if participants.Valid && participants.String != "" {
		info.Participants = strings.Split(participants.String, ",") // ids hold no commas
		slices.Sort(info.Participants)
	}
	return info
}

// Threads returns what each of rootIDs shows of its replies.
func (s *Store) Threads(ctx context.Context, conversationID string, rootIDs []string) (map[string]core.ThreadInfo, error) {
	out := map[string]core.ThreadInfo{}
	if len(rootIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(rootIDs)
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode root ids")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, `+threadAggregates+` FROM messages m
		WHERE m.conversation_id = ? AND m.id IN (SELECT value FROM json_each(?))`, conversationID, string(ids))
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var count int
		var last sql.NullInt64
		var participants sql.NullString
		if err := rows.Scan(&id, &count, &last, &participants); err != nil {
			return nil, translate(err, "")
		}
		if count > 0 {
			out[id] = threadInfo(count, last, participants)
		}
	}
	return out, translate(rows.Err(), "")
}

// ThreadState returns userID's state in the thread.
func (s *Store) ThreadState(ctx context.Context, conversationID, rootID, userID string) (core.ThreadState, error) {
	var st core.ThreadState
	err := s.r.QueryRowContext(ctx, `SELECT following, read_seq FROM thread_follows WHERE root_id = ? AND user_id = ?`,
		rootID, userID).Scan(&st.Following, &st.ReadSeq)
	if err == sql.ErrNoRows {
		return core.ThreadState{}, nil
	}
	return st, translate(err, "thread")
}

// Follow makes userID follow the thread (with override false, only when no row exists).
func (s *Store) Follow(ctx context.Context, conversationID, rootID, userID string, override bool) error {
	query := `INSERT INTO thread_follows (root_id, user_id, conversation_id, following) VALUES (?, ?, ?, 1)
		ON CONFLICT (root_id, user_id) DO NOTHING`
	if override {
		query = `INSERT INTO thread_follows (root_id, user_id, conversation_id, following) VALUES (?, ?, ?, 1)
			ON CONFLICT (root_id, user_id) DO UPDATE SET following = 1`
	}
	return s.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, query, rootID, userID, conversationID)
		return translate(err, "thread")
	})
}

// Unfollow stops userID following the thread.
func (s *Store) Unfollow(ctx context.Context, conversationID, rootID, userID string) error {
	return s.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO thread_follows (root_id, user_id, conversation_id, following)
			VALUES (?, ?, ?, 0) ON CONFLICT (root_id, user_id) DO UPDATE SET following = 0`, rootID, userID, conversationID)
		return translate(err, "thread")
	})
}

// MarkThreadRead raises userID's read position in the thread.
func (s *Store) MarkThreadRead(ctx context.Context, conversationID, rootID, userID string, seq int64) (int64, error) {
	var out int64
	err := s.inTx(ctx, func(tx *txn) error {
		return translate(tx.QueryRowContext(ctx, `INSERT INTO thread_follows (root_id, user_id, conversation_id, read_seq)
			VALUES (?, ?, ?, ?) ON CONFLICT (root_id, user_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
			RETURNING read_seq`, rootID, userID, conversationID, seq).Scan(&out), "thread")
	})
	return out, err
}

// FollowedThreads lists the threads userID follows in its conversations, most recent activity first. The
// cursor holds the last item's activity in unix milliseconds and its root id.
func (s *Store) FollowedThreads(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.ThreadSummary], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor) // the first page: no time reaches MaxInt64
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	items, err := queryAll(ctx, s.r, func(r scanner) (core.ThreadSummary, error) {
		var t core.ThreadSummary
		var count int
		var last, activity sql.NullInt64
		var participants sql.NullString
		m, err := scanMessage(withExtra{r, []any{&t.ReadSeq, &t.Unread, &count, &last, &participants, &activity}})
		t.Root, t.Following, t.Info = m, true, threadInfo(count, last, participants)
		return t, err
	}, `SELECT * FROM (SELECT `+msgCols+`, f.read_seq,
			(SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.thread_root_id = m.id
				AND x.deleted_at IS NULL AND x.seq > f.read_seq AND x.sender_id <> f.user_id),`+threadAggregates+` AS participants,
			coalesce((SELECT max(x.created_at) FROM messages x WHERE x.conversation_id = m.conversation_id
				AND x.thread_root_id = m.id AND x.deleted_at IS NULL), m.created_at) AS activity
		FROM thread_follows f
		JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
		JOIN messages m ON m.id = f.root_id AND m.conversation_id = f.conversation_id
		WHERE f.user_id = ? AND f.following = 1) t
	WHERE (t.activity, t.id) < (?, ?) ORDER BY t.activity DESC, t.id DESC LIMIT ?`, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	if items == nil {
		items = []core.ThreadSummary{}
	}
	return pageOf(items, limit, func(t core.ThreadSummary) []string {
		at := t.Root.CreatedAt
		if t.Info.ReplyCount > 0 {
			at = t.Info.LastReplyAt
		}
		return []string{strconv.FormatInt(toMS(at), 10), t.Root.ID}
	}), nil
}

// UnreadThreads counts the followed threads with unread replies.
func (s *Store) UnreadThreads(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM thread_follows f
		JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
		WHERE f.user_id = ? AND f.following = 1 AND EXISTS (SELECT 1 FROM messages x
			WHERE x.conversation_id = f.conversation_id AND x.thread_root_id = f.root_id AND x.seq > f.read_seq
				AND x.sender_id <> f.user_id AND x.deleted_at IS NULL)`, userID).Scan(&n)
	return n, translate(err, "")
}
