package ports

import (
	"context"
	"io"
	"time"

	"github.com/scalechat/scalechat/core"
)

// BlobStore keeps opaque byte blobs (attachment contents and thumbnails) by key. Keys are made of ASCII letters,
// digits and '-', '_', '.', in one or more '/'-separated segments, none of them empty or starting with a dot
// (core.ValidateBlobKey); other keys are refused with core.ErrInvalidArgument.
type BlobStore interface {
	// Put stores exactly size bytes read from r under key, replacing any blob there. A reader that fails or
	// yields more or fewer than size bytes fails the Put, and then nothing is stored (a half-written blob is
	// never visible under key).
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the blob under key, or fails with core.ErrNotFound. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob under key; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// AttachmentStore keeps the metadata of uploaded attachments.
type AttachmentStore interface {
	// CreateAttachment stores a; an existing id fails with core.ErrAlreadyExists.
	CreateAttachment(ctx context.Context, a core.Attachment) error
	// Attachment returns the attachment or core.ErrNotFound.
	Attachment(ctx context.Context, id string) (core.Attachment, error)
	// OrphansBefore lists up to limit unattached attachments (MessageID "") created before t, oldest first.
	OrphansBefore(ctx context.Context, t time.Time, limit int) ([]core.Attachment, error)
	// DeleteAttachment removes an unattached attachment. Removing a missing one is not an error; an attached one
	// is left as it is and fails with core.ErrConflict, so a sweep racing a message's link never deletes what
	// the message now shows.
	DeleteAttachment(ctx context.Context, id string) error
	// AttachToMessage links every attachment of ids to messageID, atomically: only if each exists, belongs to
	// conversationID, was uploaded by uploaderID and is unattached or already attached to messageID (so linking
	// again is harmless). Otherwise nothing changes and the error is core.ErrInvalidArgument naming the first
	// offending id (field "attachmentIds"). An empty ids changes nothing.
	AttachToMessage(ctx context.Context, messageID, conversationID, uploaderID string, ids []string) error
}
