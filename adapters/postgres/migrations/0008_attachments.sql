-- Uploaded files' metadata; the bytes live in the blob store. message_id is '' until a message links the
-- attachment. Like blocks, ids carry no foreign keys.
CREATE TABLE attachments (
    id              text COLLATE "C" PRIMARY KEY,
    conversation_id text COLLATE "C" NOT NULL,
    uploader_id     text COLLATE "C" NOT NULL,
    name            text NOT NULL,
    content_type    text NOT NULL,
    size            bigint NOT NULL,
    width           integer NOT NULL,
    height          integer NOT NULL,
    thumbnail       boolean NOT NULL,
    message_id      text COLLATE "C" NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);

-- The orphan sweep reads unattached uploads oldest first.
CREATE INDEX attachments_orphans ON attachments (created_at, id) WHERE message_id = '';
