-- Message search lists hits newest first. For words in many messages it reads the viewer's messages in that
-- order, parsing them until a page of them match: this index gives the order and holds the conversation and
-- sender, so the messages of others are skipped without reading them. (The words' GIN index depends on the
-- configured language: Migrate creates it, see createSearchIndex.)
CREATE INDEX messages_recent ON messages (created_at DESC, id DESC, conversation_id, sender_id);
