-- Who blocks whom. Like sessions and members, user ids carry no foreign key to users.
CREATE TABLE blocks (
    user_id    text COLLATE "C" NOT NULL,
    blocked_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);

-- BlockersOf starts from the blocked user.
CREATE INDEX blocks_blocked ON blocks (blocked_id, user_id);
