-- Who blocks whom. Like sessions and members, user ids carry no foreign key to users.
CREATE TABLE blocks (
    user_id    TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
) STRICT, WITHOUT ROWID;

-- BlockersOf starts from the blocked user.
CREATE INDEX blocks_blocked ON blocks (blocked_id, user_id);
