-- Mailbox work: threads of replies, and an archive folder on each side of a message.
ALTER TABLE messages ADD COLUMN thread_id TEXT;
UPDATE messages SET thread_id = COALESCE(reply_to, id);
CREATE INDEX messages_thread ON messages (thread_id, sent_at);
-- When the sender's mailbox moved the message to its archive (NULL: in the sent folder).
ALTER TABLE messages ADD COLUMN sender_archived_at BIGINT;
-- When the recipient's mailbox moved it to its archive (NULL: in the inbox).
ALTER TABLE deliveries ADD COLUMN archived_at BIGINT;
