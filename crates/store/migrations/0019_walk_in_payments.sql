-- A fee paid at the counter by someone without an account or trusted profile: the receipt
-- names the payer as they gave their name, and belongs to no visit and no account. The two
-- columns lose their NOT NULL by rebuilding the receipts (and their voids, which refer to them)
-- the portable way, the same on SQLite and PostgreSQL.
CREATE TABLE cash_receipts_v2 (
    id TEXT PRIMARY KEY,
    service_point_id TEXT NOT NULL REFERENCES service_points(id),
    number BIGINT NOT NULL,
    visit_id TEXT REFERENCES counter_visits(id),
    clerk_id TEXT NOT NULL REFERENCES users(id),
    citizen_id TEXT REFERENCES users(id),
    payer_name TEXT,
    amount BIGINT NOT NULL,
    title TEXT NOT NULL,
    paid_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    signed TEXT NOT NULL,
    log_index BIGINT NOT NULL,
    payee_office_id TEXT REFERENCES offices(id)
);
INSERT INTO cash_receipts_v2 (id, service_point_id, number, visit_id, clerk_id, citizen_id, payer_name, amount, title, paid_at, document, signed, log_index, payee_office_id)
    SELECT id, service_point_id, number, visit_id, clerk_id, citizen_id, NULL, amount, title, paid_at, document, signed, log_index, payee_office_id FROM cash_receipts;
CREATE TABLE receipt_voids_v2 (
    receipt_id TEXT PRIMARY KEY REFERENCES cash_receipts_v2(id),
    id TEXT NOT NULL UNIQUE,
    clerk_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    voided_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    signed TEXT NOT NULL,
    log_index BIGINT NOT NULL
);
INSERT INTO receipt_voids_v2 (receipt_id, id, clerk_id, reason, voided_at, document, signed, log_index)
    SELECT receipt_id, id, clerk_id, reason, voided_at, document, signed, log_index FROM receipt_voids;
DROP TABLE receipt_voids;
DROP TABLE cash_receipts;
ALTER TABLE cash_receipts_v2 RENAME TO cash_receipts;
ALTER TABLE receipt_voids_v2 RENAME TO receipt_voids;
CREATE UNIQUE INDEX cash_receipts_number ON cash_receipts (service_point_id, number);
CREATE INDEX cash_receipts_day ON cash_receipts (service_point_id, paid_at);
CREATE INDEX cash_receipts_visit ON cash_receipts (visit_id);
