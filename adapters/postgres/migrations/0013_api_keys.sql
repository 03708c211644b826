-- Server API keys (only a hash of each key's secret) and bot accounts, the users that keys of scope bot act as.
ALTER TABLE users ADD COLUMN bot boolean NOT NULL DEFAULT false;

CREATE TABLE api_keys (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('admin', 'bot')),
    bot_user_id text COLLATE "C" REFERENCES users (id),
    secret_hash text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
