-- Packages of category A case files handed to the state archive, numbered per office and
-- year, each kept in the blob store (sha256, size) so it can be downloaded again. A case is
-- handed over once: transfer_items is keyed by the case.
CREATE TABLE archive_transfers (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    made_by TEXT NOT NULL REFERENCES users(id),
    made_at BIGINT NOT NULL,
    cases BIGINT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    UNIQUE (office_id, year, number)
);
CREATE INDEX archive_transfers_office ON archive_transfers (office_id, made_at);

CREATE TABLE transfer_items (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    transfer_id TEXT NOT NULL REFERENCES archive_transfers(id)
);
CREATE INDEX transfer_items_transfer ON transfer_items (transfer_id);
