-- Moderation: the system role admin, conversations' slow mode (seconds, 0 = off), moderators' mutes of
-- members (until muted_until), channel bans, the queue of reported messages and the audit log of
-- administrative actions. Like blocks, the new tables' ids carry no foreign keys: bans, reports and the log
-- outlive what they name.
ALTER TABLE users ADD COLUMN admin boolean NOT NULL DEFAULT false;
ALTER TABLE conversations ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN muted_until timestamptz;

-- A ban holds until expires_at (NULL: until lifted); expired ones stay until lifted or replaced. Bans lists a
-- conversation's by user id, and BannedAmong looks users up, both on the primary key.
CREATE TABLE bans (
    conversation_id text COLLATE "C" NOT NULL,
    user_id         text COLLATE "C" NOT NULL,
    banned_by_type  text NOT NULL,
    banned_by_id    text NOT NULL,
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz,
    PRIMARY KEY (conversation_id, user_id)
);

-- Reports of messages; ids are UUIDv7, so id order is time order. One report per message and reporter.
CREATE TABLE reports (
    id               text COLLATE "C" PRIMARY KEY,
    conversation_id  text COLLATE "C" NOT NULL,
    message_id       text COLLATE "C" NOT NULL,
    reporter_id      text COLLATE "C" NOT NULL,
    reason           text NOT NULL,
    created_at       timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by_type text,
    resolved_by_id   text,
    resolved_at      timestamptz,
    resolution       text NOT NULL DEFAULT '',
    UNIQUE (message_id, reporter_id)
);

-- The admins' queue: the reports of one status, oldest first.
CREATE INDEX reports_status ON reports (status, id);

-- The audit log; ids are UUIDv7 and it is read newest first. details is a JSON object of strings.
CREATE TABLE audit_log (
    id              text COLLATE "C" PRIMARY KEY,
    at              timestamptz NOT NULL,
    actor_type      text NOT NULL,
    actor_id        text COLLATE "C" NOT NULL,
    action          text COLLATE "C" NOT NULL,
    target_type     text NOT NULL,
    target_id       text COLLATE "C" NOT NULL,
    conversation_id text COLLATE "C" NOT NULL,
    details         jsonb NOT NULL
);

-- One index per filter of AuditLog, each walked backwards from the cursor.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id, id);
