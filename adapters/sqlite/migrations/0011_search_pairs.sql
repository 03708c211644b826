-- Phrase search: the FTS index gains a third column, the adjacent word pairs of each message as tokens of its
-- conversation ('p' and 12 hex digits of a hash of the conversation and the two words, computed by
-- scalechat_word_pairs, a function the store registers with the driver), so that a phrase is found through
-- its pairs in the viewer's conversations — short lists — instead of by reading the long position lists of
-- its words in every conversation. The index is built again (from the messages, through the view).
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
DROP VIEW messages_search_source;

CREATE VIEW messages_search_source AS
    SELECT rowid AS rid, body, 'c' || hex(conversation_id) AS conversation, scalechat_word_pairs(conversation_id, body) AS pairs
    FROM messages;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    conversation,
    pairs,
    content = 'messages_search_source',
    content_rowid = 'rid',
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body, conversation, pairs)
        VALUES (new.rowid, new.body, 'c' || hex(new.conversation_id), scalechat_word_pairs(new.conversation_id, new.body));
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, conversation, pairs)
        VALUES ('delete', old.rowid, old.body, 'c' || hex(old.conversation_id), scalechat_word_pairs(old.conversation_id, old.body));
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body, conversation, pairs)
        VALUES ('delete', old.rowid, old.body, 'c' || hex(old.conversation_id), scalechat_word_pairs(old.conversation_id, old.body));
    INSERT INTO messages_fts (rowid, body, conversation, pairs)
        VALUES (new.rowid, new.body, 'c' || hex(new.conversation_id), scalechat_word_pairs(new.conversation_id, new.body));
END;

INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
