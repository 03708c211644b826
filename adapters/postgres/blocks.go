package postgres

import (
	"context"

	"github.com/scalechat/scalechat/core"
)

// Block records that b.UserID blocks b.BlockedID; an existing block stays as it is.
func (s *Store) Block(ctx context.Context, b core.Block) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, blocked_id) DO NOTHING`, b.UserID, b.BlockedID, ts(b.CreatedAt))
	return translate(err, "block")
}

// Unblock removes the block of blockedID by userID, if any.
func (s *Store) Unblock(ctx context.Context, userID, blockedID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2`, userID, blockedID)
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
	items, err := queryAll(ctx, s.pool, func(r scanner) (core.Block, error) {
		var b core.Block
		err := r.Scan(&b.UserID, &b.BlockedID, &b.CreatedAt)
		b.CreatedAt = b.CreatedAt.UTC()
		return b, err
	}, `SELECT user_id, blocked_id, created_at FROM blocks WHERE user_id = $1 AND blocked_id > $2
		ORDER BY blocked_id LIMIT $3`, userID, after[0], limit+1)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	return pageOf(items, limit, func(b core.Block) []string { return []string{b.BlockedID} }), nil
}

// Blocking returns which of among userID blocks, ascending.
func (s *Store) Blocking(ctx context.Context, userID string, among []string) ([]string, error) {
	return s.idsAmong(ctx, `SELECT blocked_id FROM blocks WHERE user_id = $1 AND blocked_id = ANY($2)
		ORDER BY blocked_id`, userID, among)
}

// BlockersOf returns which of among block userID, ascending (the blocks_blocked index).
func (s *Store) BlockersOf(ctx context.Context, userID string, among []string) ([]string, error) {
	return s.idsAmong(ctx, `SELECT user_id FROM blocks WHERE blocked_id = $1 AND user_id = ANY($2)
		ORDER BY user_id`, userID, among)
}

// idsAmong runs query with userID and among (one text[] parameter), returning the ids it selects.
func (s *Store) idsAmong(ctx context.Context, query, userID string, among []string) ([]string, error) {
	if len(among) == 0 {
		return []string{}, nil
	}
	return queryAll(ctx, s.pool, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, query, userID, among)
}
