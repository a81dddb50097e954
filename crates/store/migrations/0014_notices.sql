-- Email notices of new messages, one row per person: messages arriving add to `pending` in
-- the message's own commit, and the job runner sends one notice for all of them when `due_at`
-- comes (at once for the first, then at most one per interval) and records `last_sent_at`.
CREATE TABLE notices (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    pending BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    last_sent_at BIGINT,
    claimed_until BIGINT
);
CREATE INDEX notices_due ON notices (due_at);
