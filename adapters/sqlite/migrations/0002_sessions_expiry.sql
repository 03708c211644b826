-- Expired sessions are swept by expiry time.
CREATE INDEX sessions_expires ON sessions (expires_at);
