-- Full-text search over message bodies: an FTS5 index whose content is the messages table itself (external
-- content, through a view: the text is not stored twice), kept by the triggers below in the transaction of
-- every change. Words are runs of letters and digits, case-folded, accents kept (as in the other stores'
-- searches). A tombstone's body is '', so a deleted message has no words; an edit replaces the old words by
-- the new. The second column holds one token naming the message's conversation ('c' and the id in hex), so
-- that a search names the viewer's conversations in its query and the index alone narrows the matches to
-- what the viewer may read.
CREATE VIEW messages_search_source AS
    SELECT rowid AS rid, body, 'c' || hex(conversation_id) AS conversation FROM messages;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    conversation,
    content = 'messages_search_source',
    content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body, conversation) VALUES (new.rowid, new.body, 'c' || hex(new.conversation_id));
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, conversation)
        VALUES ('delete', old.rowid, old.body, 'c' || hex(old.conversation_id));
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, conversation)
        VALUES ('delete', old.rowid, old.body, 'c' || hex(old.conversation_id));
    INSERT INTO messages_fts (rowid, body, conversation) VALUES (new.rowid, new.body, 'c' || hex(new.conversation_id));
END;

-- Messages stored before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

-- Searches for common words read the viewer's messages newest first and keep those the index matches; the
-- conversation and sender are in the index so that other conversations' messages are skipped unread.
CREATE INDEX messages_recent ON messages (created_at DESC, id DESC, conversation_id, sender_id);
