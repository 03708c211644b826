-- Pins: a message is pinned while pinned_at is set.
ALTER TABLE messages ADD COLUMN pinned_at timestamptz;
ALTER TABLE messages ADD COLUMN pinned_by text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX messages_pinned ON messages (conversation_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- Reactions: one row per (message, user, emoji); seq is the reaction.added event's, which orders a message's
-- emoji by their first reaction.
CREATE TABLE reactions (
    message_id      text COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id         text COLLATE "C" NOT NULL,
    emoji           text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);
