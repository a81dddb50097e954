-- A receipt taken by mistake is voided, never deleted: the void is a signed record of its own
-- in the evidence log, one per receipt, with the clerk and the reason.
CREATE TABLE receipt_voids (
    receipt_id TEXT PRIMARY KEY REFERENCES cash_receipts(id),
    id TEXT NOT NULL UNIQUE,
    clerk_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    voided_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    signed TEXT NOT NULL,
    log_index BIGINT NOT NULL
);
-- The office a fee is paid to, when the counter takes it on an office's behalf.
ALTER TABLE cash_receipts ADD COLUMN payee_office_id TEXT REFERENCES offices(id);
