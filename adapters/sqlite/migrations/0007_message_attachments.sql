-- The attachments a message carries (JSON array of what it shows of each file), NULL for none.
ALTER TABLE messages ADD COLUMN attachments TEXT;
