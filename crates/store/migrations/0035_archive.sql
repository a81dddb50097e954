-- The office archive: closed cases listed by when they closed, and destruction lists
-- (prepared, reviewed by the head, approved by the archivist, or rejected), numbered per
-- office and year, with the cases on each and when each may be destroyed.
CREATE INDEX cases_archive ON cases (office_id, status, closed_at, id);

CREATE TABLE destruction_lists (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    status TEXT NOT NULL,
    prepared_by TEXT NOT NULL REFERENCES users(id),
    prepared_at BIGINT NOT NULL,
    reviewed_by TEXT REFERENCES users(id),
    reviewed_at BIGINT,
    approved_by TEXT REFERENCES users(id),
    approved_at BIGINT,
    rejected_by TEXT REFERENCES users(id),
    rejected_at BIGINT,
    reason TEXT NOT NULL,
    UNIQUE (office_id, year, number)
);
CREATE INDEX destruction_lists_office ON destruction_lists (office_id, prepared_at);

CREATE TABLE destruction_items (
    list_id TEXT NOT NULL REFERENCES destruction_lists(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    category TEXT NOT NULL,
    destroyable_from BIGINT NOT NULL,
    PRIMARY KEY (list_id, case_id)
);
CREATE INDEX destruction_items_case ON destruction_items (case_id);
