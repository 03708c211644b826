package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scalechat/scalechat/core"
)

const attachmentCols = `id, conversation_id, uploader_id, name, content_type, size, width, height, thumbnail, message_id, created_at`

func scanAttachment(r scanner) (core.Attachment, error) {
	var a core.Attachment
	err := r.Scan(&a.ID, &a.ConversationID, &a.UploaderID, &a.Name, &a.ContentType, &a.Size, &a.Width, &a.Height,
		&a.Thumbnail, &a.MessageID, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// CreateAttachment stores a; a taken id is core.ErrAlreadyExists.
func (s *Store) CreateAttachment(ctx context.Context, a core.Attachment) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO attachments (`+attachmentCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, a.ID, a.ConversationID, a.UploaderID, a.Name,
		a.ContentType, a.Size, a.Width, a.Height, a.Thumbnail, a.MessageID, ts(a.CreatedAt))
	return translate(err, "attachment")
}

// Attachment returns the attachment or core.ErrNotFound.
func (s *Store) Attachment(ctx context.Context, id string) (core.Attachment, error) {
	a, err := scanAttachment(s.pool.QueryRow(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = $1`, id))
	return a, translate(err, "attachment")
}

// OrphansBefore lists up to limit unattached attachments created before t, oldest first.
func (s *Store) OrphansBefore(ctx context.Context, t time.Time, limit int) ([]core.Attachment, error) {
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	items, err := queryAll(ctx, s.pool, scanAttachment, `SELECT `+attachmentCols+` FROM attachments
		WHERE message_id = '' AND created_at < $1 ORDER BY created_at, id LIMIT $2`, ts(t), limit)
	if items == nil && err == nil {
		items = []core.Attachment{}
	}
	return items, err
}

// DeleteAttachment removes an unattached attachment; an attached one is core.ErrConflict.
func (s *Store) DeleteAttachment(ctx context.Context, id string) error {
	var attached bool
	err := s.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM attachments WHERE id = $1 AND message_id = '' RETURNING id)
		SELECT NOT EXISTS (SELECT 1 FROM gone) AND EXISTS (SELECT 1 FROM attachments WHERE id = $1)`, id).Scan(&attached)
	if err == nil && attached {
		return core.Errorf(core.CodeConflict, "attachment is attached to a message")
	}
	return translate(err, "attachment")
}

// AttachToMessage links every attachment of ids to messageID in one transaction, all or none: the rows are
// locked while they are checked.
func (s *Store) AttachToMessage(ctx context.Context, messageID, conversationID, uploaderID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		found, err := queryAll(ctx, tx, scanAttachment, `SELECT `+attachmentCols+` FROM attachments
			WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		if err := core.CheckAttachable(found, messageID, conversationID, uploaderID, ids); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE attachments SET message_id = $1 WHERE id = ANY($2)`, messageID, ids)
		return err
	})
	return translate(err, "attachment")
}
