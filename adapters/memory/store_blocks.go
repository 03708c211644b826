package memory

import (
	"context"
	"sort"

	"github.com/scalechat/scalechat/core"
)

// Block records that b.UserID blocks b.BlockedID; an existing block stays as it is.
func (s *Store) Block(ctx context.Context, b core.Block) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.blocks[b.UserID][b.BlockedID]; ok {
		return nil
	}
	if s.d.blocks[b.UserID] == nil {
		s.d.blocks[b.UserID] = map[string]core.Block{}
	}
	s.d.blocks[b.UserID][b.BlockedID] = b
	if s.d.blockers[b.BlockedID] == nil {
		s.d.blockers[b.BlockedID] = map[string]struct{}{}
	}
	s.d.blockers[b.BlockedID][b.UserID] = struct{}{}
	return nil
}

// Unblock removes the block of blockedID by userID, if any.
func (s *Store) Unblock(ctx context.Context, userID, blockedID string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.d.blocks[userID], blockedID)
	if len(s.d.blocks[userID]) == 0 {
		delete(s.d.blocks, userID)
	}
	delete(s.d.blockers[blockedID], userID)
	if len(s.d.blockers[blockedID]) == 0 {
		delete(s.d.blockers, blockedID)
	}
	return nil
}

// Blocks lists the users userID blocks, by blocked user id.
func (s *Store) Blocks(ctx context.Context, userID string, page core.PageRequest) (core.Page[core.Block], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.Block]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.Block]{}, err
	}
	s.mu.RLock()
	var hits []core.Block
	for _, b := range s.d.blocks[userID] {
		if after == nil || b.BlockedID > after[0] {
			hits = append(hits, b)
		}
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return hits[i].BlockedID < hits[j].BlockedID })
	if len(hits) <= limit {
		return core.Page[core.Block]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.Block]{Items: hits, Next: core.EncodeCursor(hits[limit-1].BlockedID)}, nil
}

// Blocking returns which of among userID blocks, ascending.
func (s *Store) Blocking(ctx context.Context, userID string, among []string) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return present(s.d.blocks[userID], among), nil
}

// BlockersOf returns which of among block userID, ascending.
func (s *Store) BlockersOf(ctx context.Context, userID string, among []string) ([]string, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return present(s.d.blockers[userID], among), nil
}

// present returns which of ids are keys of set, each once, ascending.
func present[V any](set map[string]V, ids []string) []string {
	hits := map[string]struct{}{}
	for _, id := range ids {
		if _, ok := set[id]; ok {
			hits[id] = struct{}{}
		}
	}
	return sortedKeys(hits)
}

// sortedKeys returns a set's members in ascending order (empty, not nil, for none).
func sortedKeys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
