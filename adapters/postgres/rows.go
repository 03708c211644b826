package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// querier is what the statements below need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// ts is a time as stored: UTC, truncated to the microseconds timestamptz keeps (the server would round).
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// tsPtr is ts for an optional time; nil is NULL.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// utcPtr returns a scanned optional time in UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// nullIfEmpty stores "" as NULL, so the partial unique index on direct_key ignores it.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Durations (slow mode) are stored as whole seconds.
func toSeconds(d time.Duration) int64 { return int64(d / time.Second) }

func fromSeconds(v int64) time.Duration { return time.Duration(v) * time.Second }

const userCols = `id, username, display_name, password_hash, bot, admin, created_at, deactivated_at`

func scanUser(r scanner) (core.User, error) {
	var u core.User
	err := r.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Bot, &u.Admin, &u.CreatedAt, &u.DeactivatedAt)
	u.CreatedAt = u.CreatedAt.UTC()
	if u.DeactivatedAt != nil {
		at := u.DeactivatedAt.UTC()
		u.DeactivatedAt = &at
	}
	return u, err
}

const convCols = `c.id, c.kind, c.title, c.topic, c.direct_key, c.created_by, c.last_seq, c.slow_mode_seconds, c.created_at,
	c.last_activity_at`

func scanConv(r scanner, extra ...any) (core.Conversation, error) {
	var c core.Conversation
	var directKey *string
	var slow int64
	err := r.Scan(append([]any{&c.ID, &c.Kind, &c.Title, &c.Topic, &directKey, &c.CreatedBy, &c.LastSeq, &slow,
		&c.CreatedAt, &c.LastActivityAt}, extra...)...)
	if directKey != nil {
		c.DirectKey = *directKey
	}
	c.SlowMode, c.CreatedAt, c.LastActivityAt = fromSeconds(slow), c.CreatedAt.UTC(), c.LastActivityAt.UTC()
	return c, err
}

const memberCols = `mb.conversation_id, mb.user_id, mb.role, mb.read_seq, mb.joined_at, mb.notify, mb.muted, mb.muted_until`

func scanMember(r scanner) (core.Member, error) {
	var m core.Member
	err := r.Scan(&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &m.JoinedAt, &m.Notify, &m.Muted, &m.MutedUntil)
	m.JoinedAt, m.MutedUntil = m.JoinedAt.UTC(), utcPtr(m.MutedUntil)
	return m, err
}

const msgCols = `m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.body, m.reply_to, m.created_at,
	m.edited_at, m.deleted_at, m.command_id, m.pinned_at, m.pinned_by, m.mentions, m.mention_all, m.attachments::text, m.thread_root_id`

func scanMessage(r scanner) (core.Message, error) {
	var m core.Message
	var attachments *string
	err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.SenderID, &m.ClientMsgID, &m.Body, &m.ReplyTo, &m.CreatedAt,
		&m.EditedAt, &m.DeletedAt, &m.CommandID, &m.PinnedAt, &m.PinnedBy, &m.Mentions, &m.MentionAll, &attachments, &m.ThreadRootID)
	if err == nil {
		if m.Attachments, err = attachjson.Decode(attachments); err != nil {
			return m, fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	m.CreatedAt, m.EditedAt, m.DeletedAt = m.CreatedAt.UTC(), utcPtr(m.EditedAt), utcPtr(m.DeletedAt)
	m.PinnedAt = utcPtr(m.PinnedAt)
	return m, err
}

// withExtra scans a row's leading columns into what a scan function asks for and the rest into extra.
type withExtra struct {
	scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.scanner.Scan(append(dest, w.extra...)...) }

func getConversation(ctx context.Context, q querier, id string, lock bool) (core.Conversation, error) {
	query := `SELECT ` + convCols + ` FROM conversations c WHERE c.id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	c, err := scanConv(q.QueryRow(ctx, query, id))
	return c, translate(err, "conversation")
}

func getMember(ctx context.Context, q querier, conversationID, userID string) (core.Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `SELECT `+memberCols+` FROM members mb
		WHERE mb.conversation_id = $1 AND mb.user_id = $2`, conversationID, userID))
	return m, translate(err, "member")
}

func getMessage(ctx context.Context, q querier, conversationID, messageID string) (core.Message, error) {
	m, err := scanMessage(q.QueryRow(ctx, `SELECT `+msgCols+` FROM messages m
		WHERE m.id = $1 AND m.conversation_id = $2`, messageID, conversationID))
	return m, translate(err, "message")
}

func getMessageByKey(ctx context.Context, q querier, conversationID, senderID, clientMsgID string) (core.Message, error) {
	m, err := scanMessage(q.QueryRow(ctx, `SELECT `+msgCols+` FROM messages m
		WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_msg_id = $3`, conversationID, senderID, clientMsgID))
	return m, translate(err, "message")
}

// queryAll runs a query and scans every row; no rows is an empty, non-nil slice.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err, "")
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), "")
}

// pageOf cuts the limit+1 rows fetched into a page whose cursor is the last item's key when more exist.
func pageOf[T any](items []T, limit int, key func(T) []string) core.Page[T] {
	if len(items) <= limit {
		return core.Page[T]{Items: items}
	}
	items = items[:limit]
	return core.Page[T]{Items: items, Next: core.EncodeCursor(key(items[limit-1])...)}
}
