-- Users an admin deactivated: they cannot sign in by any means; their messages stay.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
