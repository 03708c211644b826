-- Webhooks: the change feed that every Append writes, the host application's subscriptions, their deliveries,
-- and how far the dispatcher has read the feed.

-- The change feed: one row per conversation of each Append, keyed by the writing transaction's id and a
-- sequence. Ids are handed out at insert, not at commit, so a reader walks (xid, id) only below the oldest
-- transaction still running (pg_snapshot_xmin): every row there is committed or gone for good, and a row
-- written later has a larger xid. The dispatcher deletes the rows it has consumed.
CREATE TABLE change_feed (
    xid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id              bigserial,
    conversation_id text COLLATE "C" NOT NULL,
    first_seq       bigint NOT NULL,
    last_seq        bigint NOT NULL,
    PRIMARY KEY (xid, id)
);

-- events is a JSON array of event types ("*" for all).
CREATE TABLE webhooks (
    id          text COLLATE "C" PRIMARY KEY,
    url         text NOT NULL,
    events      jsonb NOT NULL,
    description text NOT NULL,
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Deliveries go with their webhook. The foreign key also orders a delivery stored while its webhook is being
-- deleted: the insert waits for the delete and then fails, rather than leaving a pending delivery behind that
-- no webhook would ever send. Ids are UUIDv7, so id order is time order.
CREATE TABLE webhook_deliveries (
    id              text COLLATE "C" PRIMARY KEY,
    webhook_id      text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    conversation_id text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    event_type      text NOT NULL,
    payload         bytea NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status     integer NOT NULL,
    last_error      text NOT NULL,
    delivered_at    timestamptz,
    redelivery_of   text COLLATE "C" NOT NULL
);

-- The dispatcher's queue: each webhook's pending deliveries, the earliest due first. Only pending rows are indexed, so the
-- index stays the size of the backlog however long the delivery log grows.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
-- A webhook's delivery log, newest first, of every status or of one (each walked backwards from the cursor);
-- the first also serves the cascade from webhooks.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_webhook_status ON webhook_deliveries (webhook_id, status, id);

-- The change-feed cursor the dispatcher has consumed up to: at most one row.
CREATE TABLE webhook_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    feed_cursor text NOT NULL
);

-- The delivery log's retention: settled deliveries are deleted oldest first once they are older than it.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
