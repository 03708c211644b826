-- Moderation: the system role admin, conversations' slow mode (seconds, 0 = off), moderators' mutes of
-- members (until muted_until), channel bans, the queue of reported messages and the audit log of
-- administrative actions. Like blocks, the new tables' ids carry no foreign keys: bans, reports and the log
-- outlive what they name.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN muted_until INTEGER;

-- A ban holds until expires_at (NULL: until lifted); expired ones stay until lifted or replaced. Bans lists a
-- conversation's by user id, and BannedAmong looks users up, both on the primary key.
CREATE TABLE bans (
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    banned_by_type  TEXT NOT NULL,
    banned_by_id    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

-- Reports of messages; ids are UUIDv7, so id order is time order. One report per message and reporter.
CREATE TABLE reports (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    reporter_id      TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    resolved_by_type TEXT,
    resolved_by_id   TEXT,
    resolved_at      INTEGER,
    resolution       TEXT NOT NULL DEFAULT '',
    UNIQUE (message_id, reporter_id)
) STRICT, WITHOUT ROWID;

-- The admins' queue: the reports of one status, oldest first.
CREATE INDEX reports_status ON reports (status, id);

-- The audit log; ids are UUIDv7 and it is read newest first. details is a JSON object of strings.
CREATE TABLE audit_log (
    id              TEXT PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor_type      TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    action          TEXT NOT NULL,
    target_type     TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    details         TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One index per filter of AuditLog, each walked backwards from the cursor.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id, id);
