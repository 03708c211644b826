package memory

import (
	"context"
	"sort"
	"time"

	"github.com/scalechat/scalechat/core"
)

// CreateAPIKey stores k, and bot (when not nil) with it.
func (s *Store) CreateAPIKey(ctx context.Context, k core.APIKey, bot *core.User) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.apiKeys[k.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "API key already exists")
	}
	if bot != nil {
		if _, ok := s.d.userByName[bot.Username]; ok {
			return &core.Error{Code: core.CodeAlreadyExists, Field: "username", Message: "username is taken"}
		}
		s.d.users[bot.ID] = *bot
		s.d.userByName[bot.Username] = bot.ID
	}
	s.d.apiKeys[k.ID] = k
	return nil
}

// APIKey returns the key with that id or core.ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (core.APIKey, error) {
	if err := checkCtx(ctx); err != nil {
		return core.APIKey{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.d.apiKeys[id]
	if !ok {
		return core.APIKey{}, core.Errorf(core.CodeNotFound, "API key not found")
	}
	return k, nil
}

// APIKeys lists keys by id.
func (s *Store) APIKeys(ctx context.Context, page core.PageRequest) (core.Page[core.APIKey], error) {
	if err := checkCtx(ctx); err != nil {
		return core.Page[core.APIKey]{}, err
	}
	limit, err := core.PageLimit(page.Limit)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	after, err := core.DecodeCursor(page.Cursor, 1)
	if err != nil {
		return core.Page[core.APIKey]{}, err
	}
	s.mu.RLock()
	var hits []core.APIKey
	for _, k := range s.d.apiKeys {
		if after == nil || k.ID > after[0] {
			hits = append(hits, k)
		}
	}
	s.mu.RUnlock()
	sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	if len(hits) <= limit {
		return core.Page[core.APIKey]{Items: hits}, nil
	}
	hits = hits[:limit]
	return core.Page[core.APIKey]{Items: hits, Next: core.EncodeCursor(hits[limit-1].ID)}, nil
}

// RevokeAPIKey marks the key revoked (once) and returns it.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (core.APIKey, error) {
	if err := checkCtx(ctx); err != nil {
		return core.APIKey{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.d.apiKeys[id]
	if !ok {
		return core.APIKey{}, core.Errorf(core.CodeNotFound, "API key not found")
	}
	if k.RevokedAt == nil {
		k.RevokedAt = &at
		s.d.apiKeys[id] = k
	}
	return k, nil
}
