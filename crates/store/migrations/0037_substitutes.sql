-- Substitutes: while an official is away (a period of days, both ends included, written
-- YYYY-MM-DD), a colleague of the same office handles their cases. A cancelled one is kept
-- with who cancelled it and when. Read by who substitutes whom on a day.
CREATE TABLE substitutes (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    absent_id TEXT NOT NULL REFERENCES users(id),
    substitute_id TEXT NOT NULL REFERENCES users(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    cancelled_by TEXT REFERENCES users(id),
    cancelled_at BIGINT
);
CREATE INDEX substitutes_by_substitute ON substitutes (substitute_id, ends_on);
CREATE INDEX substitutes_by_absent ON substitutes (absent_id, ends_on);
CREATE INDEX substitutes_by_office ON substitutes (office_id, ends_on);
