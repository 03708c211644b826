-- Threads: a reply names its thread's root (a top-level message of the same conversation); '' = top-level.
ALTER TABLE messages ADD COLUMN thread_root_id TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_thread ON messages (conversation_id, thread_root_id, seq) WHERE thread_root_id <> '';

-- Who follows which thread, and how far each has read it (a conversation seq).
CREATE TABLE thread_follows (
    root_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    following       INTEGER NOT NULL DEFAULT 0,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (root_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX thread_follows_user ON thread_follows (user_id) WHERE following = 1;
