-- Initial schema. Times are unix milliseconds (UTC); text searched case-insensitively is also stored
-- lowercased by Go (SQLite's lower() folds ASCII only).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    display_lower TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    title_lower      TEXT NOT NULL,
    topic            TEXT NOT NULL,
    direct_key       TEXT,
    created_by       TEXT NOT NULL,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
) STRICT;

-- One direct conversation per pair of users.
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key)
    WHERE direct_key IS NOT NULL AND direct_key <> '';
CREATE INDEX conversations_channels ON conversations (kind, title, id);
CREATE INDEX conversations_activity ON conversations (last_activity_at DESC, id DESC);

CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL,
    role            TEXT NOT NULL,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

-- ConversationsOf and ConversationIDsOf start from the user.
CREATE INDEX members_user ON members (user_id, conversation_id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    sender_id       TEXT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    body            TEXT NOT NULL,
    reply_to        TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    deleted_at      INTEGER,
    -- also the history index: (conversation_id, seq) ranges serve Messages and unread counts
    UNIQUE (conversation_id, seq),
    -- the idempotency key of sends
    UNIQUE (conversation_id, sender_id, client_msg_id)
) STRICT;

CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    at              INTEGER NOT NULL,
    actor_id        TEXT NOT NULL,
    data            TEXT NOT NULL, -- JSON, see eventdata.go
    PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;
