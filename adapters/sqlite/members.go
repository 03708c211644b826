package sqlite

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/scalechat/scalechat/core"
)

// Member returns a membership or core.ErrNotFound.
func (s *Store) Member(ctx context.Context, conversationID, userID string) (core.Member, error) {
	return getMember(ctx, s.r, conversationID, userID)
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
	items, err := queryAll(ctx, s.r, scanMember, `SELECT `+memberCols+` FROM members mb
		WHERE mb.conversation_id = ? AND mb.user_id > ? ORDER BY mb.user_id LIMIT ?`, conversationID, after[0], limit+1)
	if err != nil {
		return core.Page[core.Member]{}, err
	}
	return pageOf(items, limit, func(m core.Member) []string { return []string{m.UserID} }), nil
}

// summarySelect reads conversations with the viewer's membership, the unread and unread-mention counts and the
// latest message, in one statement so that each row is one consistent snapshot.
const summarySelect = `SELECT ` + convCols + `, mb.role, mb.read_seq, mb.joined_at, mb.notify, mb.muted, mb.muted_until,
	(SELECT count(*) FROM messages u WHERE u.conversation_id = c.id AND u.seq > mb.read_seq
		AND u.sender_id <> mb.user_id AND u.deleted_at IS NULL AND u.thread_root_id = ''),
	(SELECT count(*) FROM messages u WHERE u.conversation_id = c.id AND u.seq > mb.read_seq
		AND u.sender_id <> mb.user_id AND u.deleted_at IS NULL
		AND (u.mention_all = 'channel' OR u.mentions IS NOT NULL
			AND EXISTS (SELECT 1 FROM json_each(u.mentions) j WHERE j.value = mb.user_id))),
	` + lastMsgCols + `
FROM members mb
JOIN conversations c ON c.id = mb.conversation_id
LEFT JOIN messages m ON m.conversation_id = c.id
	AND m.seq = (SELECT max(x.seq) FROM messages x WHERE x.conversation_id = c.id)
`

// summaryQuery lists one page of a user's conversations, most recently active first.
const summaryQuery = summarySelect + `WHERE mb.user_id = ? AND (c.last_activity_at, c.id) < (?, ?)
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT ?`

// Summary returns one conversation as userID, a member, sees it.
func (s *Store) Summary(ctx context.Context, conversationID, userID string) (core.Summary, error) {
	row := s.r.QueryRowContext(ctx, summarySelect+`WHERE mb.user_id = ? AND mb.conversation_id = ?`, userID, conversationID)
	sum, err := scanSummary(row, userID)
	return sum, translate(err, "conversation")
}

// ConversationsOf lists userID's conversations, most recently active first (ties: higher id first).
func (s *Store) ConversationsOf(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Summary], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	beforeAt, beforeID, err := timeCursor(page.Cursor) // the first page: no time reaches MaxInt64
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	items, err := queryAll(ctx, s.r, func(r scanner) (core.Summary, error) { return scanSummary(r, userID) },
		summaryQuery, userID, beforeAt, beforeID, limit+1)
	if err != nil {
		return core.Page[core.Summary]{}, err
	}
	return pageOf(items, limit, func(s core.Summary) []string {
		return []string{strconv.FormatInt(toMS(s.LastActivityAt), 10), s.ID}
	}), nil
}

func scanSummary(r scanner, userID string) (core.Summary, error) {
	var s core.Summary
	m := core.Member{UserID: userID}
	var joined int64
	var mutedUntil sql.NullInt64
	var lm struct {
		id, conv, sender, client, body, replyTo sql.NullString
		seq, created, edited, deleted           sql.NullInt64
	}
	c, err := scanConv(r, &m.Role, &m.ReadSeq, &joined, &m.Notify, &m.Muted, &mutedUntil, &s.Unread, &s.Mentions,
		&lm.id, &lm.conv, &lm.seq, &lm.sender, &lm.client, &lm.body, &lm.replyTo, &lm.created, &lm.edited, &lm.deleted)
	if err != nil {
		return s, err
	}
	m.ConversationID, m.JoinedAt, m.MutedUntil = c.ID, fromMS(joined), fromMSPtr(mutedUntil)
	s.Conversation, s.Member = c, &m
	if lm.id.Valid {
		s.LastMessage = &core.Message{ID: lm.id.String, ConversationID: lm.conv.String, Seq: lm.seq.Int64,
			SenderID: lm.sender.String, ClientMsgID: lm.client.String, Body: lm.body.String, ReplyTo: lm.replyTo.String,
			CreatedAt: fromMS(lm.created.Int64), EditedAt: fromMSPtr(lm.edited), DeletedAt: fromMSPtr(lm.deleted)}
	}
	return s, nil
}

// MemberCount returns how many members the conversation has (0 for an unknown one).
func (s *Store) MemberCount(ctx context.Context, conversationID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE conversation_id = ?`, conversationID).Scan(&n)
	return n, translate(err, "")
}

// ConversationIDsOf returns the ids of userID's conversations.
func (s *Store) ConversationIDsOf(ctx context.Context, userID string) ([]string, error) {
	ids, err := queryAll(ctx, s.r, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT conversation_id FROM members WHERE user_id = ? ORDER BY conversation_id`, userID)
	if ids == nil && err == nil {
		ids = []string{}
	}
	return ids, err
}

// ContactsOf returns the members of userID's direct and group conversations, userID excluded.
func (s *Store) ContactsOf(ctx context.Context, userID string, limit int) ([]string, error) {
	ids, err := queryAll(ctx, s.r, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT DISTINCT other.user_id FROM members mine
		JOIN conversations c ON c.id = mine.conversation_id AND c.kind <> 'channel'
		JOIN members other ON other.conversation_id = mine.conversation_id AND other.user_id <> mine.user_id
		WHERE mine.user_id = ? ORDER BY other.user_id LIMIT ?`, userID, limit)
	if ids == nil && err == nil {
		ids = []string{}
	}
	return ids, err
}

// MarkRead raises the member's readSeq to seq and returns the result.
func (s *Store) MarkRead(ctx context.Context, conversationID, userID string, seq int64) (int64, error) {
	var readSeq int64
	err := s.w.QueryRowContext(ctx, `UPDATE members SET read_seq = max(read_seq, ?)
		WHERE conversation_id = ? AND user_id = ? RETURNING read_seq`, seq, conversationID, userID).Scan(&readSeq)
	return readSeq, translate(err, "member")
}

// SetNotifications stores the member's notification level and mute.
func (s *Store) SetNotifications(ctx context.Context, conversationID, userID string, level core.NotifyLevel, muted bool) error {
	return s.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET notify = ?, muted = ? WHERE conversation_id = ? AND user_id = ?`,
			string(level), muted, conversationID, userID)
		if err != nil {
			return translate(err, "member")
		}
		if n, err := res.RowsAffected(); err != nil {
			return translate(err, "member")
		} else if n == 0 {
			return notFound("member")
		}
		return nil
	})
}
