package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

// threadAggregates sums up the live replies of the thread whose root is the row m, as columns
// (replies, last_reply_at, participants), over the (conversation_id, thread_root_id, seq) index.
const threadAggregates = `LEFT JOIN LATERAL (SELECT count(*) AS replies, max(x.created_at) AS last_reply_at,
		array_agg(DISTINCT x.sender_id ORDER BY x.sender_id) AS participants
	FROM messages x WHERE x.conversation_id = m.conversation_id AND x.thread_root_id = m.id AND x.deleted_at IS NULL) agg ON true`

// threadInfo builds a ThreadInfo from the aggregate columns.
func threadInfo(count int, last *time.Time, participants []string) core.ThreadInfo {
	info := core.ThreadInfo{ReplyCount: count, Participants: participants}
	if last != nil {
		info.LastReplyAt = last.UTC()
	}
	return info
}

// Threads returns what each of rootIDs shows of its replies.
func (s *Store) Threads(ctx context.Context, conversationID string, rootIDs []string) (map[string]core.ThreadInfo, error) {
	out := map[string]core.ThreadInfo{}
	if len(rootIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT m.id, agg.replies, agg.last_reply_at, agg.participants FROM messages m
		`+threadAggregates+` WHERE m.conversation_id = $1 AND m.id = ANY($2) AND agg.replies > 0`, conversationID, rootIDs)
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var count int
		var last *time.Time
		var participants []string
		if err := rows.Scan(&id, &count, &last, &participants); err != nil {
			return nil, translate(err, "")
		}
		out[id] = threadInfo(count, last, participants)
	}
	return out, translate(rows.Err(), "")
}

// ThreadState returns userID's state in the thread.
func (s *Store) ThreadState(ctx context.Context, conversationID, rootID, userID string) (core.ThreadState, error) {
	var st core.ThreadState
	err := s.pool.QueryRow(ctx, `SELECT following, read_seq FROM thread_follows WHERE root_id = $1 AND user_id = $2`,
		rootID, userID).Scan(&st.Following, &st.ReadSeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.ThreadState{}, nil
	}
	return st, translate(err, "thread")
}

// Follow makes userID follow the thread (with override false, only when no row exists).
func (s *Store) Follow(ctx context.Context, conversationID, rootID, userID string, override bool) error {
	query := `INSERT INTO thread_follows (root_id, user_id, conversation_id, following) VALUES ($1, $2, $3, true)
		ON CONFLICT (root_id, user_id) DO NOTHING`
	if override {
		query = `INSERT INTO thread_follows (root_id, user_id, conversation_id, following) VALUES ($1, $2, $3, true)
			ON CONFLICT (root_id, user_id) DO UPDATE SET following = true`
	}
	_, err := s.pool.Exec(ctx, query, rootID, userID, conversationID)
	return translate(err, "thread")
}

// Unfollow stops userID following the thread.
func (s *Store) Unfollow(ctx context.Context, conversationID, rootID, userID string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO thread_follows (root_id, user_id, conversation_id, following)
		VALUES ($1, $2, $3, false) ON CONFLICT (root_id, user_id) DO UPDATE SET following = false`, rootID, userID, conversationID)
	return translate(err, "thread")
}

// MarkThreadRead raises userID's read position in the thread.
func (s *Store) MarkThreadRead(ctx context.Context, conversationID, rootID, userID string, seq int64) (int64, error) {
	var out int64
	err := s.pool.QueryRow(ctx, `INSERT INTO thread_follows (root_id, user_id, conversation_id, read_seq)
		VALUES ($1, $2, $3, $4) ON CONFLICT (root_id, user_id)
		DO UPDATE SET read_seq = greatest(thread_follows.read_seq, excluded.read_seq) RETURNING read_seq`,
		rootID, userID, conversationID, seq).Scan(&out)
	return out, translate(err, "thread")
}

// FollowedThreads lists the threads userID follows in its conversations, most recent activity first. The
// cursor holds the last item's activity in unix microseconds and its root id.
func (s *Store) FollowedThreads(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.ThreadSummary], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	items, err := queryAll(ctx, s.pool, func(r scanner) (core.ThreadSummary, error) {
		var t core.ThreadSummary
		var count int
		var last, activity *time.Time
		var participants []string
		m, err := scanMessage(withExtra{r, []any{&t.ReadSeq, &t.Unread, &count, &last, &participants, &activity}})
		t.Root, t.Following, t.Info = m, true, threadInfo(count, last, participants)
		return t, err
	}, `SELECT * FROM (SELECT `+msgCols+`, f.read_seq,
			(SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id AND x.thread_root_id = m.id
				AND x.deleted_at IS NULL AND x.seq > f.read_seq AND x.sender_id <> f.user_id) AS unread,
			agg.replies, agg.last_reply_at, agg.participants, coalesce(agg.last_reply_at, m.created_at) AS activity
		FROM thread_follows f
		JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
		JOIN messages m ON m.id = f.root_id AND m.conversation_id = f.conversation_id
		`+threadAggregates+`
		WHERE f.user_id = $1 AND f.following) t
	WHERE $2::timestamptz IS NULL OR (t.activity, t.id) < ($2::timestamptz, $3::text)
	ORDER BY t.activity DESC, t.id DESC LIMIT $4`, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.ThreadSummary]{}, err
	}
	return pageOf(items, limit, func(t core.ThreadSummary) []string {
		at := t.Root.CreatedAt
		if t.Info.ReplyCount > 0 {
			at = t.Info.LastReplyAt
		}
		return []string{strconv.FormatInt(at.UnixMicro(), 10), t.Root.ID}
	}), nil
}

// UnreadThreads counts the followed threads with unread replies.
func (s *Store) UnreadThreads(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM thread_follows f
		JOIN members mb ON mb.conversation_id = f.conversation_id AND mb.user_id = f.user_id
		WHERE f.user_id = $1 AND f.following AND EXISTS (SELECT 1 FROM messages x
			WHERE x.conversation_id = f.conversation_id AND x.thread_root_id = f.root_id AND x.seq > f.read_seq
				AND x.sender_id <> f.user_id AND x.deleted_at IS NULL)`, userID).Scan(&n)
	return n, translate(err, "")
}
