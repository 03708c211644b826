package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/scalechat/scalechat/core"
)

// Member returns a membership or core.ErrNotFound.
func (s *Store) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	return getMember(ctx, s.pool, conversationID, userID)
}

// Members lists a conversation's members by user id.
func (s *Store) Members(ctx context.Context, conversationID string, page core.PageRequest) (core.Page[core.Member], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	items, err := queryAll(ctx, s.pool, scanMember, `SELECT `+memberCols+` FROM members mb
		WHERE mb.conversation_id = $1 AND mb.user_id > $2 ORDER BY mb.user_id LIMIT $3`, conversationID, after[0], limit+1)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	return pageOf(items, limit, func(m core.Member) []string { return []string{m.UserID} }), nil
}

// summarySelect reads conversations with the viewer's membership, the unread and unread-mention counts and the
// latest message, in one statement so that each row is one snapshot. Both subqueries walk the
// (conversation_id, seq) index; the mention count filters the unread range.
const summarySelect = `SELECT ` + convCols + `, mb.role, mb.read_seq, mb.joined_at, mb.notify, mb.muted, mb.muted_until,
	un.unread, un.mentions,
	m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.body, m.reply_to, m.created_at,
	m.edited_at, m.deleted_at
FROM members mb
JOIN conversations c ON c.id = mb.conversation_id
LEFT JOIN LATERAL (SELECT * FROM messages x WHERE x.conversation_id = c.id ORDER BY x.seq DESC LIMIT 1) m ON true
CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE u.thread_root_id = '') AS unread,
		count(*) FILTER (WHERE u.mention_all = 'channel' OR mb.user_id = ANY(u.mentions)) AS mentions
	FROM messages u WHERE u.conversation_id = c.id AND u.seq > mb.read_seq
		AND u.sender_id <> mb.user_id AND u.deleted_at IS NULL) un
`

// Summary returns one conversation as userID, a member, sees it.
func (s *Store) Summary(ctx context.Context, conversationID, userID string) (core.Summary, error) {
	row := s.pool.QueryRow(ctx, summarySelect+`WHERE mb.user_id = $1 AND mb.conversation_id = $2`, userID, conversationID)
	sum, err := scanSummary(row, userID)
	return sum, translate(err, "conversation")
}

// ConversationsOf lists userID's conversations, most recently active first (ties: higher id first). The
// cursor holds the last item's activity time in unix microseconds, the precision stored.
func (s *Store) ConversationsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Summary], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor) // nil time: the first page
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	items, err := queryAll(ctx, s.pool, func(r scanner) (core.Summary, error) { return scanSummary(r, userID) },
		summarySelect+`WHERE mb.user_id = $1
			AND ($2::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($2::timestamptz, $3::text))
		ORDER BY c.last_activity_at DESC, c.id DESC
		LIMIT $4`, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	return pageOf(items, limit, func(s core.Summary) []string {
		return []string{strconv.FormatInt(s.LastActivityAt.UnixMicro(), 10), s.ID}
	}), nil
}

func scanSummary(r scanner, userID string) (core.Summary, error) {
	var s core.Summary
	m := core.Member{UserID: userID}
	var lm struct {
		id, conv, sender, client, body, replyTo *string
		seq                                     *int64
		created, edited, deleted                *time.Time
	}
	c, err := scanConv(r, &m.Role, &m.ReadSeq, &m.JoinedAt, &m.Notify, &m.Muted, &m.MutedUntil, &s.Unread, &s.Mentions,
		&lm.id, &lm.conv, &lm.seq, &lm.sender, &lm.client, &lm.body, &lm.replyTo, &lm.created, &lm.edited, &lm.deleted)
	if err != nil {
		return s, err
	}
	m.ConversationID, m.JoinedAt, m.MutedUntil = c.ID, m.JoinedAt.UTC(), utcPtr(m.MutedUntil)
	s.Conversation, s.Member = c, &m
	if lm.id != nil {
		s.LastMessage = &core.Message{ID: *lm.id, ConversationID: *lm.conv, Seq: *lm.seq, SenderID: *lm.sender,
			ClientMsgID: *lm.client, Body: *lm.body, ReplyTo: *lm.replyTo, CreatedAt: lm.created.UTC(),
			EditedAt: utcPtr(lm.edited), DeletedAt: utcPtr(lm.deleted)}
	}
	return s, nil
}

// MemberCount returns how many members the conversation has (0 for an unknown one).
func (s *Store) MemberCount(ctx context.Context, conversationID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE conversation_id = $1`, conversationID).Scan(&n)
	return n, translate(err, "")
}

// ConversationIDsOf returns the ids of userID's conversations.
func (s *Store) ConversationIDsOf(ctx context.Context, userID string) ([]string, error) {
	return queryAll(ctx, s.pool, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT conversation_id FROM members WHERE user_id = $1 ORDER BY conversation_id`, userID)
}

// ContactsOf returns the members of userID's direct and group conversations, userID excluded.
func (s *Store) ContactsOf(ctx context.Context, userID string, limit int) ([]string, error) {
	return queryAll(ctx, s.pool, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT DISTINCT other.user_id FROM members mine
		JOIN conversations c ON c.id = mine.conversation_id AND c.kind <> 'channel'
		JOIN members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
		WHERE mine.user_id = $1 ORDER BY other.user_id LIMIT $2`, userID, limit)
}

// SetNotifications stores the member's notification level and mute.
func (s *Store) SetNotifications(ctx context.Context, conversationID, userID string, level core.NotifyLevel, muted bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE members SET notify = $3, muted = $4 WHERE conversation_id = $1 AND user_id = $2`,
		conversationID, userID, string(level), muted)
	if err != nil {
		return translate(err, "member")
	}
	if tag.RowsAffected() == 0 {
		return notFound("member")
	}
	return nil
}

// MarkRead raises the member's readSeq to seq and returns the result.
func (s *Store) MarkRead(ctx context.Context, conversationID, userID string, seq int64) (int64, error) {
	var readSeq int64
	err := s.pool.QueryRow(ctx, `UPDATE members SET read_seq = greatest(read_seq, $3)
		WHERE conversation_id = $1 AND user_id = $2 RETURNING read_seq`, conversationID, userID, seq).Scan(&readSeq)
	return readSeq, translate(err, "member")
}
