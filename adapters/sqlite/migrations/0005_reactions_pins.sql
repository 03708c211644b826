-- Pins: a message is pinned while pinned_at is set (milliseconds since the epoch, like the other times).
ALTER TABLE messages ADD COLUMN pinned_at INTEGER;
ALTER TABLE messages ADD COLUMN pinned_by TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_pinned ON messages (conversation_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- Reactions: one row per (message, user, emoji); seq is the reaction.added event's, which orders a message's
-- emoji by their first reaction.
CREATE TABLE reactions (
    message_id      TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    emoji           TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
) STRICT, WITHOUT ROWID;
