-- Initial schema. Times are timestamptz (microseconds). Ids and every column a list is ordered by use
-- COLLATE "C", so ordering and keyset paging compare bytes whatever the database's locale. Text searched
-- case-insensitively is also stored lowercased by Go (the server's lower() depends on its ctype).

CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    username      text COLLATE "C" NOT NULL UNIQUE,
    display_name  text NOT NULL,
    display_lower text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE sessions (
    token_hash text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id               text COLLATE "C" PRIMARY KEY,
    kind             text NOT NULL,
    title            text COLLATE "C" NOT NULL,
    title_lower      text NOT NULL,
    topic            text NOT NULL,
    direct_key       text COLLATE "C",
    created_by       text COLLATE "C" NOT NULL,
    last_seq         bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL
);

-- One direct conversation per pair of users; other kinds store NULL.
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key) WHERE direct_key IS NOT NULL;
CREATE INDEX conversations_channels ON conversations (title, id) WHERE kind = 'channel';

CREATE TABLE members (
    conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         text COLLATE "C" NOT NULL,
    role            text NOT NULL,
    read_seq        bigint NOT NULL DEFAULT 0,
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- ConversationsOf and ConversationIDsOf start from the user.
CREATE INDEX members_user ON members (user_id, conversation_id);

CREATE TABLE messages (
    id              text COLLATE "C" PRIMARY KEY,
    conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    sender_id       text COLLATE "C" NOT NULL,
    client_msg_id   text COLLATE "C" NOT NULL,
    body            text NOT NULL,
    reply_to        text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    edited_at       timestamptz,
    deleted_at      timestamptz,
    -- also the history index: (conversation_id, seq) ranges serve Messages, unread counts and the latest message
    UNIQUE (conversation_id, seq),
    -- the idempotency key of sends
    UNIQUE (conversation_id, sender_id, client_msg_id)
);

CREATE TABLE events (
    conversation_id text COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    type            text NOT NULL,
    at              timestamptz NOT NULL,
    actor_id        text NOT NULL,
    data            jsonb NOT NULL, -- the payload, see eventdata.go
    PRIMARY KEY (conversation_id, seq)
);
