-- Users of the application scalechat is embedded in, known by the issuer of their tokens and their id there.
CREATE TABLE external_identities (
    issuer     text NOT NULL,
    subject    text NOT NULL,
    user_id    text COLLATE "C" NOT NULL UNIQUE REFERENCES users (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject)
);
