-- The send command that created each message: tells a retry (another command) from a redelivery of the same one.
ALTER TABLE messages ADD COLUMN command_id text COLLATE "C" NOT NULL DEFAULT '';
