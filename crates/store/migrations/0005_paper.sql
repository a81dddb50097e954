-- The hybrid paper channel: a public body's letter to a postal address is rendered as a PDF,
-- waits at the service point that serves the postcode, is printed there in a batch and
-- carried by the post. Each step and the outcome are evidence for the sender.
CREATE TABLE print_batches (
    id TEXT PRIMARY KEY,
    service_point_id TEXT NOT NULL REFERENCES service_points(id),
    -- closed (made, waiting to be printed) | printed | dispatched
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    printed_at BIGINT,
    printed_by TEXT REFERENCES users(id),
    dispatched_at BIGINT,
    dispatched_by TEXT REFERENCES users(id)
);
CREATE INDEX print_batches_point ON print_batches (service_point_id, created_at);

CREATE TABLE paper_letters (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id),
    tracking_number TEXT NOT NULL UNIQUE,
    verification_code TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    street TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    city TEXT NOT NULL,
    service_point_id TEXT NOT NULL REFERENCES service_points(id),
    -- NULL while waiting for the next print batch of its service point.
    batch_id TEXT REFERENCES print_batches(id),
    pages BIGINT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- delivered | delivered-household | picked-up | returned-after-notice | returned-other
    outcome TEXT,
    outcome_at BIGINT,
    outcome_by TEXT REFERENCES users(id)
);
CREATE INDEX paper_letters_waiting ON paper_letters (service_point_id, batch_id);
CREATE INDEX paper_letters_batch ON paper_letters (batch_id);
CREATE INDEX paper_letters_message ON paper_letters (message_id);
