-- Webhooks: the change feed that every Append writes, the host application's subscriptions, their deliveries,
-- and how far the dispatcher has read the feed.

-- The change feed: one row per conversation of each Append. SQLite has one writer, so id order is commit
-- order. The id is the rowid (the highest + 1): the dispatcher keeps the last row it read when it deletes the
-- ones it consumed, so an id is never handed out again below its cursor. (AUTOINCREMENT would guarantee that
-- too, but writes sqlite_sequence on every insert: one-message batches sequenced 8 % slower with it, 1 % without,
-- medians of 5 alternated runs of BenchmarkSequencer.)
CREATE TABLE change_feed (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL
) STRICT;

-- events is a JSON array of event types ("*" for all).
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    description TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Deliveries go with their webhook. Ids are UUIDv7, so id order is time order. A rowid table: payloads are
-- whole event bodies, too large for the b-tree of a WITHOUT ROWID table.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    event_type      TEXT NOT NULL,
    payload         BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    delivered_at    INTEGER,
    redelivery_of   TEXT NOT NULL
) STRICT;

-- The dispatcher's queue: each webhook's pending deliveries, the earliest due first. Only pending rows are indexed, so the
-- index stays the size of the backlog however long the delivery log grows.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
-- A webhook's delivery log, newest first, of every status or of one (each walked backwards from the cursor);
-- the first also serves the cascade from webhooks.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_webhook_status ON webhook_deliveries (webhook_id, status, id);

-- The change-feed cursor the dispatcher has consumed up to: at most one row.
CREATE TABLE webhook_state (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    feed_cursor TEXT NOT NULL
) STRICT;

-- The delivery log's retention: settled deliveries are deleted oldest first once they are older than it.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
