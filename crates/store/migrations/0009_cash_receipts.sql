-- Cash taken at a counter for a citizen's fee: one receipt each, numbered per service point,
-- signed (enveloping CMS of the receipt's JSON) and in the evidence log.
CREATE TABLE cash_receipts (
    id TEXT PRIMARY KEY,
    service_point_id TEXT NOT NULL REFERENCES service_points(id),
    number BIGINT NOT NULL,
    visit_id TEXT NOT NULL REFERENCES counter_visits(id),
    clerk_id TEXT NOT NULL REFERENCES users(id),
    citizen_id TEXT NOT NULL REFERENCES users(id),
    -- In grosze (1/100 PLN).
    amount BIGINT NOT NULL,
    title TEXT NOT NULL,
    paid_at BIGINT NOT NULL,
    document TEXT NOT NULL,
    signed TEXT NOT NULL,
    log_index BIGINT NOT NULL
);
CREATE UNIQUE INDEX cash_receipts_number ON cash_receipts (service_point_id, number);
CREATE INDEX cash_receipts_day ON cash_receipts (service_point_id, paid_at);
