package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/scalechat/scalechat/core"
)

// CreateConversation stores c and its members in one transaction, or returns the existing direct
// conversation with c's DirectKey. The write lock taken up front makes the lookup and the insert atomic.
func (s *Store) CreateConversation(ctx context.Context, c core.Conversation, members []core.Member) (core.Conversation, bool, error) {
	var out core.Conversation
	var created bool
	err := s.inTx(ctx, func(tx *txn) error {
		out, created = core.Conversation{}, false
		if c.DirectKey != "" {
			existing, err := scanConv(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations c
				WHERE c.direct_key = ?`, c.DirectKey))
			if err == nil {
				out = existing
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return translate(err, "")
			}
		}
		c.LastSeq = 0
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, kind, title, title_lower, topic, direct_key,
			created_by, last_seq, slow_mode_seconds, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
			c.ID, c.Kind, c.Title, strings.ToLower(c.Title), c.Topic, nullIfEmpty(c.DirectKey), c.CreatedBy,
			toSeconds(c.SlowMode), toMS(c.CreatedAt), toMS(c.LastActivityAt)); err != nil {
			return translate(err, "conversation")
		}
		for _, m := range members {
			m.ConversationID = c.ID
			if err := insertMember(ctx, tx, m); err != nil {
				return err
			}
		}
		out, created = c, true
		return nil
	})
	return out, created, err
}

// Conversation returns the conversation or core.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	return getConversation(ctx, s.r, id)
}

// Channels lists channels whose title contains q, by title then id.
func (s *Store) Channels(ctx context.Context, q string, page core.PageRequest) (core.Page[core.Conversation], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 2)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	if after == nil {
		after = []string{"", ""} // sorts before every (title, id): ids are never empty
	}
	items, err := queryAll(ctx, s.r, func(r scanner) (core.Conversation, error) { return scanConv(r) },
		`SELECT `+convCols+` FROM conversations c
		WHERE c.kind = ? AND instr(c.title_lower, ?) > 0 AND (c.title, c.id) > (?, ?)
		ORDER BY c.title, c.id LIMIT ?`, core.KindChannel, strings.ToLower(q), after[0], after[1], limit+1)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	return pageOf(items, limit, func(c core.Conversation) []string { return []string{c.Title, c.ID} }), nil
}

// insertMember stores one membership; an existing one is core.ErrAlreadyExists.
func insertMember(ctx context.Context, tx *txn, m core.Member) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_at, muted_until)
		VALUES (?, ?, ?, ?, ?, ?)`, m.ConversationID, m.UserID, m.Role, m.ReadSeq, toMS(m.JoinedAt), toMSPtr(m.MutedUntil))
	return translate(err, "member")
}
