-- Message search lists hits newest first. For words in many messages, reading the messages in that order
-- and keeping the viewer's matching ones until a page is full beats collecting every match and sorting them;
-- the planner picks that way when the words are common. (The words' GIN index depends on the configured
-- language: Migrate creates it, see createSearchIndex.)
CREATE INDEX messages_recent ON messages (created_at DESC, id DESC);
