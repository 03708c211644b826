-- Mentions: the ids a message mentions (NULL for none) and whether it mentions everyone (@channel) or those
-- online (@here, whose ids are in mentions). Unread mention counts filter the unread range scan; the inbox
-- reads the GIN index, and the partial index for @channel.
ALTER TABLE messages ADD COLUMN mentions text[];
ALTER TABLE messages ADD COLUMN mention_all text NOT NULL DEFAULT '';
CREATE INDEX messages_mentions ON messages USING gin (mentions) WHERE mentions IS NOT NULL; -- most messages mention nobody: they cost the index nothing
CREATE INDEX messages_mention_channel ON messages (conversation_id, seq) WHERE mention_all = 'channel';

-- Per-member notification settings.
ALTER TABLE members ADD COLUMN notify text NOT NULL DEFAULT 'all';
ALTER TABLE members ADD COLUMN muted boolean NOT NULL DEFAULT false;
