-- Uploaded files' metadata; the bytes live in the blob store. message_id is '' until a message links the
-- attachment. Like blocks, ids carry no foreign keys.
CREATE TABLE attachments (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    uploader_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            INTEGER NOT NULL,
    width           INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    thumbnail       INTEGER NOT NULL,
    message_id      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The orphan sweep reads unattached uploads oldest first.
CREATE INDEX attachments_orphans ON attachments (created_at, id) WHERE message_id = '';
