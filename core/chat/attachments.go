package chat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/scalechat/scalechat/core"
	"github.com/scalechat/scalechat/ports"
)

// DefaultOrphanUploadTTL is how long an upload may stay unattached to a message before it is swept.
const DefaultOrphanUploadTTL = 24 * time.Hour

// Upload stores a file of size bytes read from r in a conversation the actor is a member of. The content type is
// sniffed from the bytes and must be allowed (Config.Uploads); a name whose extension contradicts it is refused
// as disguised; larger than the upload limit is too_large. Images get their dimensions recorded and a
// thumbnail. The attachment stays unattached until a message links it (ports.AttachmentStore.AttachToMessage)
// and is swept after the orphan TTL if none does.
func (s *Service) Upload(ctx context.Context, actor, conversationID, name string, r io.Reader, size int64) (core.Attachment, error) {
	policy := s.cfg.Uploads
	if err := policy.CheckSize(size); err != nil {
		return core.Attachment{}, err
	}
	if err := s.allow(ctx, LimitUpload, actor, "uploads"); err != nil {
		return core.Attachment{}, err
	}
	if _, _, err := s.membership(ctx, actor, conversationID); err != nil {
		return core.Attachment{}, err
	}
	name = core.SanitizeFileName(name)
	head := make([]byte, min(size, core.SniffBytes))
	if _, err := io.ReadFull(r, head); err != nil {
		return core.Attachment{}, core.Invalid("file", "the file is shorter than its declared size")
	}
	a := core.Attachment{ID: s.d.IDs.NewID(), ConversationID: conversationID, UploaderID: actor, Name: name,
		ContentType: core.SniffContentType(head), Size: size, CreatedAt: s.now()}
	if err := policy.CheckType(name, a.ContentType); err != nil {
		return core.Attachment{}, err
	}
	content := io.MultiReader(bytes.NewReader(head), r)
	var thumb thumbnail
	if core.IsImage(a.ContentType) {
		// Images are read whole (they are at most the upload limit) to decode them for the thumbnail.
		data := make([]byte, size)
		copy(data, head)
		if _, err := io.ReadFull(r, data[len(head):]); err != nil {
			return core.Attachment{}, core.Invalid("file", "the file is shorter than its declared size")
		}
		if n, _ := r.Read(make([]byte, 1)); n > 0 {
			return core.Attachment{}, core.Invalid("file", "the file is longer than its declared size")
		}
		var err error
		if thumb, err = makeThumbnail(a.ContentType, data); err != nil {
			return core.Attachment{}, err
		}
		a.Width, a.Height, a.Thumbnail = thumb.width, thumb.height, true
		content = bytes.NewReader(data)
	}
	// The metadata goes first: an upload interrupted after it is an orphan the sweep removes, blobs and all;
	// blobs written first would be lost to it.
	if err := s.d.Attachments.CreateAttachment(ctx, a); err != nil {
		return core.Attachment{}, err
	}
	err := s.d.Blobs.Put(ctx, core.BlobKey(a.ID), content, size, a.ContentType)
	if err == nil && a.Thumbnail {
		err = s.d.Blobs.Put(ctx, core.ThumbKey(a.ID), bytes.NewReader(thumb.data), int64(len(thumb.data)), thumb.contentType)
	}
	if err != nil {
		cleanup := context.WithoutCancel(ctx)
		if _, derr := deleteOrphan(cleanup, s.d.Attachments, s.d.Blobs, a); derr != nil {
			s.log.WarnContext(ctx, "removing a failed upload", "attachment", a.ID, "err", derr)
		}
		return core.Attachment{}, err
	}
	return a, nil
}

// Attachment returns an attachment's metadata to a member of its conversation. Others are told what History
// tells them: not found (private conversations), or to join first (channels).
func (s *Service) Attachment(ctx context.Context, actor, id string) (core.Attachment, error) {
	a, err := s.d.Attachments.Attachment(ctx, id)
	if err != nil {
		return core.Attachment{}, notFoundAs(err, "attachment not found")
	}
	if _, _, err := s.membership(ctx, actor, a.ConversationID); err != nil {
		return core.Attachment{}, notFoundAs(err, "attachment not found")
	}
	return a, nil
}

// Open returns an attachment and its content, for a member of its conversation. The caller closes the reader.
func (s *Service) Open(ctx context.Context, actor, id string) (core.Attachment, io.ReadCloser, error) {
	return s.openBlob(ctx, actor, id, core.BlobKey)
}

// Thumbnail returns an image attachment and its thumbnail (JPEG, or PNG for images with transparency: sniff
// its first bytes for which), for a member of its conversation. Other attachments have none: not found.
func (s *Service) Thumbnail(ctx context.Context, actor, id string) (core.Attachment, io.ReadCloser, error) {
	return s.openBlob(ctx, actor, id, core.ThumbKey)
}

func (s *Service) openBlob(ctx context.Context, actor, id string, key func(string) string) (core.Attachment, io.ReadCloser, error) {
	a, err := s.Attachment(ctx, actor, id)
	if err != nil {
		return a, nil, err
	}
	if a.MessageID != "" { // the file of a deleted message is gone with it
		m, err := s.d.History.Message(ctx, a.ConversationID, a.MessageID)
		if err == nil && m.Deleted() {
			return a, nil, core.Errorf(core.CodeNotFound, "the message of this attachment was deleted")
		} else if err != nil && !errors.Is(err, core.ErrNotFound) {
			return a, nil, err
		}
	}
	thumb := key(id) == core.ThumbKey(id)
	if thumb && !a.Thumbnail {
		return a, nil, core.Errorf(core.CodeNotFound, "this attachment has no thumbnail")
	}
	r, err := s.d.Blobs.Get(ctx, key(id))
	if err != nil {
		return a, nil, notFoundAs(err, "attachment content not found")
	}
	return a, r, nil
}

// linkAttachments checks that ids (at most core.MaxAttachmentsPerMessage, no repeats) are actor's uploads to
// the conversation, not linked to another message, links them to messageID and returns what the message shows
// of them, in the order given. Linking happens before the send goes on the log, so the sweep cannot take a file
// while its message is on the way; a retry names the same message id and links again harmlessly.
func (s *Service) linkAttachments(ctx context.Context, actor, conversationID, messageID string, ids []string) ([]core.Attachment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > core.MaxAttachmentsPerMessage {
		return nil, core.Invalid("attachmentIds", "a message carries at most %d attachments", core.MaxAttachmentsPerMessage)
	}
	found := make([]core.Attachment, 0, len(ids))
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return nil, core.Invalid("attachmentIds", "attachment %s is listed twice", id)
		}
		a, err := s.d.Attachments.Attachment(ctx, id)
		if errors.Is(err, core.ErrNotFound) {
			return nil, core.AttachmentRefused(id)
		} else if err != nil {
			return nil, err
		}
		found = append(found, a)
	}
	if err := core.CheckAttachable(found, messageID, conversationID, actor, ids); err != nil {
		return nil, err
	}
	if err := s.d.Attachments.AttachToMessage(ctx, messageID, conversationID, actor, ids); err != nil {
		return nil, err
	}
	out := make([]core.Attachment, len(found))
	for i, a := range found {
		out[i] = core.Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, Width: a.Width,
			Height: a.Height, Thumbnail: a.Thumbnail}
	}
	return out, nil
}

// SweepOrphans deletes unattached uploads created before before, metadata and blobs, and says how many.
func (s *Service) SweepOrphans(ctx context.Context, before time.Time) (int, error) {
	return NewOrphanSweeper(s.d.Attachments, s.d.Blobs, s.log).Sweep(ctx, before)
}

// orphanBatch is how many orphans one read of the sweep returns.
const orphanBatch = 500

// OrphanSweeper removes uploads no message linked in time. Roles that serve no clients (workers) run it
// without a Service.
type OrphanSweeper struct {
	attachments ports.AttachmentStore
	blobs       ports.BlobStore
	log         *slog.Logger
}

// NewOrphanSweeper sweeps attachments and their blobs.
func NewOrphanSweeper(attachments ports.AttachmentStore, blobs ports.BlobStore, log *slog.Logger) *OrphanSweeper {
	if log == nil {
		log = slog.Default()
	}
	return &OrphanSweeper{attachments: attachments, blobs: blobs, log: log}
}

// Sweep deletes every unattached upload created before before and says how many it deleted. One linked
// meanwhile is left alone. It stops at the first storage error.
func (w *OrphanSweeper) Sweep(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		batch, err := w.attachments.OrphansBefore(ctx, before, orphanBatch)
		if err != nil {
			return total, err
		}
		for _, a := range batch {
			deleted, err := deleteOrphan(ctx, w.attachments, w.blobs, a)
			if err != nil {
				return total, err
			}
			if deleted {
				total++
			}
		}
		if len(batch) < orphanBatch {
			return total, nil
		}
	}
}

// deleteOrphan removes an unattached attachment: its metadata first, which fails (conflict) if a message linked
// it meanwhile, and only then its blobs. It reports whether it deleted the attachment.
func deleteOrphan(ctx context.Context, attachments ports.AttachmentStore, blobs ports.BlobStore, a core.Attachment) (bool, error) {
	if err := attachments.DeleteAttachment(ctx, a.ID); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	if err := blobs.Delete(ctx, core.ThumbKey(a.ID)); err != nil {
		return true, err
	}
	return true, blobs.Delete(ctx, core.BlobKey(a.ID))
}
