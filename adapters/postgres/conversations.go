package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

// CreateConversation stores c and its members in one transaction, or returns the existing direct
// conversation with c's DirectKey. Concurrent creators of one pair meet on the unique direct_key index:
// ON CONFLICT waits for the winner to commit, and the losers then read its conversation.
func (s *Store) CreateConversation(ctx context.Context, c core.Conversation, members []core.Member) (core.Conversation, bool, error) {
	var out core.Conversation
	var created bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out, created = core.Conversation{}, false
		c.LastSeq = 0
		tag, err := tx.Exec(ctx, `INSERT INTO conversations (id, kind, title, title_lower, topic, direct_key,
			created_by, last_seq, slow_mode_seconds, created_at, last_activity_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10)
			ON CONFLICT (direct_key) WHERE direct_key IS NOT NULL DO NOTHING`,
			c.ID, string(c.Kind), c.Title, strings.ToLower(c.Title), c.Topic, nullIfEmpty(c.DirectKey), c.CreatedBy,
			toSeconds(c.SlowMode), ts(c.CreatedAt), ts(c.LastActivityAt))
		if err != nil {
			return translate(err, "conversation")
		}
		if tag.RowsAffected() == 0 { // only a direct_key conflict skips the insert
			out, err = scanConv(tx.QueryRow(ctx, `SELECT `+convCols+` FROM conversations c WHERE c.direct_key = $1`,
				c.DirectKey))
			if errors.Is(err, pgx.ErrNoRows) {
				// The holder of the key was deleted in between; nothing deletes conversations today.
				return core.Errorf(core.CodeConflict, "direct conversation changed concurrently, try again")
			}
			return translate(err, "conversation")
		}
		if err := insertMembers(ctx, tx, c.ID, members); err != nil {
			return err
		}
		out, created = c, true
		return nil
	})
	return out, created, err
}

// Conversation returns the conversation or core.ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id string) (core.Conversation, error) {
	return getConversation(ctx, s.pool, id, false)
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
	items, err := queryAll(ctx, s.pool, func(r scanner) (core.Conversation, error) { return scanConv(r) },
		`SELECT `+convCols+` FROM conversations c
		WHERE c.kind = 'channel' AND strpos(c.title_lower, $1) > 0 AND (c.title, c.id) > ($2, $3)
		ORDER BY c.title, c.id LIMIT $4`, strings.ToLower(q), after[0], after[1], limit+1)
	if err != nil {
		return core.Page[core.Conversation]{}, err
	}
	return pageOf(items, limit, func(c core.Conversation) []string { return []string{c.Title, c.ID} }), nil
}

// insertMembers stores memberships of one conversation in one statement.
func insertMembers(ctx context.Context, q querier, convID string, members []core.Member) error {
	if len(members) == 0 {
		return nil
	}
	st := insertMembersStep(convID, members)
	_, err := q.Exec(ctx, st.sql, st.args...)
	return translate(err, "member")
}
