-- Registered electronic delivery: messages, one delivery row per recipient, attachments
-- (bytes in the blob store by SHA-256) and the evidence issued about them.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    sender TEXT NOT NULL REFERENCES mailboxes(address),
    sender_user_id TEXT REFERENCES users(id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    idempotency_key TEXT,
    reply_to TEXT
);
CREATE UNIQUE INDEX messages_idempotency ON messages (sender, idempotency_key);
CREATE INDEX messages_sent ON messages (sender, sent_at, id);

CREATE TABLE deliveries (
    message_id TEXT NOT NULL REFERENCES messages(id),
    recipient TEXT NOT NULL REFERENCES mailboxes(address),
    sent_at BIGINT NOT NULL,
    delivered_at BIGINT NOT NULL,
    opened_at BIGINT,
    deemed_at BIGINT,
    -- 1 when the message is from a public body to a person or company (14-day deemed delivery).
    deemable BIGINT NOT NULL,
    PRIMARY KEY (message_id, recipient)
);
CREATE INDEX deliveries_inbox ON deliveries (recipient, sent_at, message_id);
CREATE INDEX deliveries_due ON deliveries (deemable, opened_at, deemed_at, delivered_at);

CREATE TABLE attachments (
    message_id TEXT NOT NULL REFERENCES messages(id),
    n BIGINT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (message_id, n)
);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    message_id TEXT,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    log_index BIGINT NOT NULL,
    document TEXT NOT NULL,
    signed TEXT NOT NULL
);
-- Each kind of evidence exists once per message and recipient (deemed delivery exactly once).
CREATE UNIQUE INDEX evidence_once ON evidence (message_id, recipient, kind);
