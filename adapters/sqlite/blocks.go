package sqlite

import (
	"context"
	"encoding/json"

	"github.com/scalechat/scalechat/core"
)

// Block records that b.UserID blocks b.BlockedID; an existing block stays as it is.
func (s *Store) Block(ctx context.Context, b core.Block) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, blocked_id) DO NOTHING`, b.UserID, b.BlockedID, toMS(b.CreatedAt))
	return translate(err, "block")
}

// Unblock removes the block of blockedID by userID, if any.
func (s *Store) Unblock(ctx context.Context, userID, blockedID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?`, userID, blockedID)
	return translate(err, "block")
}

// Blocks lists the users userID blocks, by blocked user id.
func (s *Store) Blocks(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Block], error) {
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	if after == nil {
		after = []string{""}
	}
	items, err := queryAll(ctx, s.r, func(r scanner) (core.Block, error) {
		var b core.Block
		var created int64
		err := r.Scan(&b.UserID, &b.BlockedID, &created)
		b.CreatedAt = fromMS(created)
		return b, err
	}, `SELECT user_id, blocked_id, created_at FROM blocks WHERE user_id = ? AND blocked_id > ?
		ORDER BY blocked_id LIMIT ?`, userID, after[0], limit+1)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	return pageOf(items, limit, func(b core.Block) []string { return []string{b.BlockedID} }), nil
}

// Blocking returns which of among userID blocks, ascending. The ids travel as one JSON array, so the
// statement is the same (and prepared once) whatever their number.
func (s *Store) Blocking(ctx context.Context, userID string, among []string) ([]string, error) {
	return s.idsAmong(ctx, `SELECT blocked_id FROM blocks
		WHERE user_id = ? AND blocked_id IN (SELECT value FROM json_each(?)) ORDER BY blocked_id`, userID, among)
}

// BlockersOf returns which of among block userID, ascending (the blocks_blocked index).
func (s *Store) BlockersOf(ctx context.Context, userID string, among []string) ([]string, error) {
	return s.idsAmong(ctx, `SELECT user_id FROM blocks
		WHERE blocked_id = ? AND user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id`, userID, among)
}

// idsAmong runs query with key, among as a JSON array and more, returning the ids it selects (empty, not nil).
func (s *Store) idsAmong(ctx context.Context, query, key string, among []string, more ...any) ([]string, error) {
	if len(among) == 0 {
		return []string{}, nil
	}
	list, err := json.Marshal(among)
	if err != nil {
		return nil, core.Wrap(core.CodeInternal, err, "cannot encode ids")
	}
	ids, err := queryAll(ctx, s.r, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, query, append([]any{key, string(list)}, more...)...)
	if ids == nil && err == nil {
		ids = []string{}
	}
	return ids, err
}
