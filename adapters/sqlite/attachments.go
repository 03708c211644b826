package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/scalechat/scalechat/core"
)

const attachmentCols = `id, conversation_id, uploader_id, name, content_type, size, width, height, thumbnail, message_id, created_at`

func scanAttachment(r scanner) (core.Attachment, error) {
	var a core.Attachment
	var created int64
	err := r.Scan(&a.ID, &a.ConversationID, &a.UploaderID, &a.Name, &a.ContentType, &a.Size, &a.Width, &a.Height,
		&a.Thumbnail, &a.MessageID, &created)
	a.CreatedAt = fromMS(created)
	return a, err
}

// CreateAttachment stores a; a taken id is core.ErrAlreadyExists.
func (s *Store) CreateAttachment(ctx context.Context, a core.Attachment) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO attachments (`+attachmentCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.ConversationID, a.UploaderID, a.Name, a.ContentType,
		a.Size, a.Width, a.Height, a.Thumbnail, a.MessageID, toMS(a.CreatedAt))
	return translate(err, "attachment")
}

// Attachment returns the attachment or core.ErrNotFound.
func (s *Store) Attachment(ctx context.Context, id string) (core.Attachment, error) {
	a, err := scanAttachment(s.r.QueryRowContext(ctx, `SELECT `+attachmentCols+` FROM attachments WHERE id = ?`, id))
	return a, translate(err, "attachment")
}

// OrphansBefore lists up to limit unattached attachments created before t, oldest first.
func (s *Store) OrphansBefore(ctx context.Context, t time.Time, limit int) ([]core.Attachment, error) {
	if limit < 1 {
		return nil, core.Invalid("limit", "limit must be positive")
	}
	items, err := queryAll(ctx, s.r, scanAttachment, `SELECT `+attachmentCols+` FROM attachments
		WHERE message_id = '' AND created_at < ? ORDER BY created_at, id LIMIT ?`, toMS(t), limit)
	if items == nil && err == nil {
		items = []core.Attachment{}
	}
	return items, err
}

// DeleteAttachment removes an unattached attachment; an attached one is core.ErrConflict.
func (s *Store) DeleteAttachment(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM attachments WHERE id = ? AND message_id = ''`, id)
	if err != nil {
		return translate(err, "attachment")
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return translate(err, "attachment")
	}
	var attached int
	err = s.w.QueryRowContext(ctx, `SELECT count(*) FROM attachments WHERE id = ?`, id).Scan(&attached)
	if err == nil && attached > 0 {
		return core.Errorf(core.CodeConflict, "attachment is attached to a message")
	}
	return translate(err, "attachment")
}

// AttachToMessage links every attachment of ids to messageID in one write transaction, all or none.
func (s *Store) AttachToMessage(ctx context.Context, messageID, conversationID, uploaderID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return core.Wrap(core.CodeInternal, err, "cannot encode ids")
	}
	return s.txOnce(ctx, func(tx *txn) error {
		found, err := queryAll(ctx, tx, scanAttachment, `SELECT `+attachmentCols+` FROM attachments
			WHERE id IN (SELECT value FROM json_each(?))`, string(list))
		if err != nil {
			return err
		}
		if err := core.CheckAttachable(found, messageID, conversationID, uploaderID, ids); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE attachments SET message_id = ?
			WHERE id IN (SELECT value FROM json_each(?))`, messageID, string(list))
		return translate(err, "attachment")
	})
}
