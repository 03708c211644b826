package memory

import (
	"context"
	"sort"
	"time"

	"github.com/scalechat/scalechat/core"
)

// CreateAttachment stores a; a taken id is core.ErrAlreadyExists.
func (s *Store) CreateAttachment(ctx context.Context, a core.Attachment) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.d.attachs[a.ID]; ok {
		return core.Errorf(core.CodeAlreadyExists, "attachment already exists")
	}
	s.d.attachs[a.ID] = a
	return nil
}

// Attachment returns the attachment or core.ErrNotFound.
func (s *Store) Attachment(ctx context.Context, id string) (core.Attachment, error) {
	if err := checkCtx(ctx); err != nil {
		return core.Attachment{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.d.attachs[id]
	if !ok {
		return core.Attachment{}, core.Errorf(core.CodeNotFound, "attachment not found")
	}
	return a, nil
}

// OrphansBefore lists up to limit unattached attachments created before t, oldest first.
func (s *Store) OrphansBefore(ctx context.Context, t time.Time, limit int) ([]core.Attachment, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	s.mu.RLock()
	out := []core.Attachment{}
	for _, a := range s.d.attachs {
		if a.MessageID == "" && a.CreatedAt.Before(t) {
			out = append(out, a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeleteAttachment removes an unattached attachment; an attached one is core.ErrConflict.
func (s *Store) DeleteAttachment(ctx context.Context, id string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.d.attachs[id]
	if !ok {
		return nil
	}
	if a.MessageID != "" {
		return core.Errorf(core.CodeConflict, "attachment is attached to a message")
	}
	delete(s.d.attachs, id)
	return nil
}

// AttachToMessage links every attachment of ids to messageID, all or none.
func (s *Store) AttachToMessage(ctx context.Context, messageID, conversationID, uploaderID string, ids []string) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		a, ok := s.d.attachs[id]
		if !ok || a.ConversationID != conversationID || a.UploaderID != uploaderID ||
			(a.MessageID != "" && a.MessageID != messageID) {
			return core.AttachmentRefused(id)
		}
	}
	for _, id := range ids {
		a := s.d.attachs[id]
		a.MessageID = messageID
		s.d.attachs[id] = a
	}
	return nil
}
