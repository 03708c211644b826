package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/scalechat/scalechat/adapters/internal/attachjson"
	"github.com/scalechat/scalechat/core"
)

// queryer is what the lookups below need: the reader pool or a write transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// Times are stored as unix milliseconds and returned in UTC.
func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func toMSPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMSPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// nullIfEmpty stores "" as NULL, so the partial unique index on direct_key ignores it.
func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// Durations (slow mode) are stored as whole seconds.
func toSeconds(d time.Duration) int64 { return int64(d / time.Second) }

func fromSeconds(v int64) time.Duration { return time.Duration(v) * time.Second }

const userCols = `id, username, display_name, password_hash, bot, admin, created_at, deactivated_at`

func scanUser(r scanner) (core.User, error) {
	var u core.User
	var created int64
	var deactivated sql.NullInt64
	err := r.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Bot, &u.Admin, &created, &deactivated)
	u.CreatedAt, u.DeactivatedAt = fromMS(created), fromMSPtr(deactivated)
	return u, err
}

const convCols = `c.id, c.kind, c.title, c.topic, c.direct_key, c.created_by, c.last_seq, c.slow_mode_seconds, c.created_at,
	c.last_activity_at`

func scanConv(r scanner, extra ...any) (core.Conversation, error) {
	var c core.Conversation
	var directKey sql.NullString
	var slow, created, activity int64
	err := r.Scan(append([]any{&c.ID, &c.Kind, &c.Title, &c.Topic, &directKey, &c.CreatedBy, &c.LastSeq, &slow,
		&created, &activity}, extra...)...)
	c.DirectKey, c.SlowMode, c.CreatedAt, c.LastActivityAt = directKey.String, fromSeconds(slow), fromMS(created), fromMS(activity)
	return c, err
}

const memberCols = `mb.conversation_id, mb.user_id, mb.role, mb.read_seq, mb.joined_at, mb.notify, mb.muted, mb.muted_until`

func scanMember(r scanner) (core.Member, error) {
	var m core.Member
	var joined int64
	var mutedUntil sql.NullInt64
	err := r.Scan(&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &joined, &m.Notify, &m.Muted, &mutedUntil)
	m.JoinedAt, m.MutedUntil = fromMS(joined), fromMSPtr(mutedUntil)
	return m, err
}

// lastMsgCols are the columns of a conversation summary's latest message; msgCols adds the internal ones.
const (
	lastMsgCols = `m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.body, m.reply_to, m.created_at,
	m.edited_at, m.deleted_at`
	msgCols = lastMsgCols + `, m.command_id, m.pinned_at, m.pinned_by, m.mentions, m.mention_all, m.attachments, m.thread_root_id`
)

func scanMessage(r scanner) (core.Message, error) {
	var m core.Message
	var created int64
	var edited, deleted, pinned sql.NullInt64
	var mentions sql.NullString
	var attachments *string
	err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.SenderID, &m.ClientMsgID, &m.Body, &m.ReplyTo, &created,
		&edited, &deleted, &m.CommandID, &pinned, &m.PinnedBy, &mentions, &m.MentionAll, &attachments, &m.ThreadRootID)
	if err == nil {
		if m.Attachments, err = attachjson.Decode(attachments); err != nil {
			return m, fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	m.CreatedAt, m.EditedAt, m.DeletedAt = fromMS(created), fromMSPtr(edited), fromMSPtr(deleted)
	m.PinnedAt = fromMSPtr(pinned)
	if err == nil && mentions.Valid {
		if jerr := json.Unmarshal([]byte(mentions.String), &m.Mentions); jerr != nil {
			return m, fmt.Errorf("message %s: bad mentions: %w", m.ID, jerr)
		}
	}
	return m, err
}

// withExtra scans a row's leading columns into what a scan function asks for and the rest into extra.
type withExtra struct {
	scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.scanner.Scan(append(dest, w.extra...)...) }

// messageJSON returns the stored forms of a message's mentions (a JSON array) and attachments (attachjson),
// each NULL for none.
func messageJSON(m core.Message) (mentions, attachments *string, err error) {
	if len(m.Mentions) > 0 {
		b, err := json.Marshal(m.Mentions)
		if err != nil {
			return nil, nil, core.Wrap(core.CodeInternal, err, "cannot encode mentions")
		}
		s := string(b)
		mentions = &s
	}
	attachments, err = attachjson.Encode(m.Attachments)
	return mentions, attachments, err
}

func getConversation(ctx context.Context, q queryer, id string) (core.Conversation, error) {
	c, err := scanConv(q.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations c WHERE c.id = ?`, id))
	return c, translate(err, "conversation")
}

func getMember(ctx context.Context, q queryer, conversationID, userID string) (core.Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members mb
		WHERE mb.conversation_id = ? AND mb.user_id = ?`, conversationID, userID))
	return m, translate(err, "member")
}

func getMessage(ctx context.Context, q queryer, conversationID, messageID string) (core.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages m
		WHERE m.id = ? AND m.conversation_id = ?`, messageID, conversationID))
	return m, translate(err, "message")
}

func getMessageByKey(ctx context.Context, q queryer, conversationID, senderID, clientMsgID string) (core.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages m
		WHERE m.conversation_id = ? AND m.sender_id = ? AND m.client_msg_id = ?`, conversationID, senderID, clientMsgID))
	return m, translate(err, "message")
}

// queryAll runs a query and scans every row.
func queryAll[T any](ctx context.Context, q queryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err, "")
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err, "")
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), "")
}

// timeCursor decodes a (unix milliseconds, id) cursor of a newest-first list: math.MaxInt64 and "" for the first
// page, which no time reaches.
func timeCursor(cursor string) (beforeAt int64, beforeID string, err error) {
	key, err := core.DecodeCursor(cursor, 2)
	if err != nil || key == nil {
		return math.MaxInt64, "", err
	}
	if beforeAt, err = strconv.ParseInt(key[0], 10, 64); err != nil {
		return 0, "", core.Invalid("cursor", "malformed cursor")
	}
	return beforeAt, key[1], nil
}

// pageOf cuts the limit+1 rows fetched into a page whose cursor is the last item's key when more exist.
func pageOf[T any](items []T, limit int, key func(T) []string) core.Page[T] {
	if len(items) <= limit {
		return core.Page[T]{Items: items}
	}
	items = items[:limit]
	return core.Page[T]{Items: items, Next: core.EncodeCursor(key(items[limit-1])...)}
}
