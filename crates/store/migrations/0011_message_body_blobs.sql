-- A long message body is kept in the blob store (the pack files, like attachments) rather
-- than in its row: then body is empty and this is the body's SHA-256.
ALTER TABLE messages ADD COLUMN body_sha256 TEXT;
