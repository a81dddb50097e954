-- Online payments of fees (domain::payments). A payment belongs to a submission waiting for
-- its fee, its session id is what the provider knows it by, token is the provider answer
-- to the registration (where the payer is sent).
CREATE TABLE payments (
    session_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES submissions(message_id),
    office_id TEXT NOT NULL,
    user_id TEXT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    token TEXT NOT NULL,
    order_id TEXT,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX payments_by_message ON payments (message_id);
CREATE INDEX payments_by_office ON payments (office_id, paid_at);
-- The local payment provider simulator own book (what a real provider keeps on its side).
CREATE TABLE payment_simulator (
    token TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    session_id TEXT NOT NULL UNIQUE,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    url_return TEXT NOT NULL,
    url_status TEXT NOT NULL,
    status TEXT NOT NULL,
    order_id TEXT,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);
CREATE INDEX payment_simulator_by_paid ON payment_simulator (merchant_id, paid_at);
