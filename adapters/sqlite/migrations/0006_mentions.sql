-- Mentions: the ids a message mentions, as a JSON array (NULL for none), and whether it mentions everyone
-- (@channel) or those online (@here, whose ids are in mentions).
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN mention_all TEXT NOT NULL DEFAULT '';

-- Per-member notification settings.
ALTER TABLE members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all';
ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
