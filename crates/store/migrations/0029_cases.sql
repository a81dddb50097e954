-- Case management (EZD). The office's JRWA list: a class with a category is one cases are
-- opened in (A, B5, BE10, Bc), one without groups others.
CREATE TABLE jrwa_classes (
    office_id TEXT NOT NULL REFERENCES offices(id),
    symbol TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT,
    PRIMARY KEY (office_id, symbol)
);

-- The last number given per department, JRWA class and year. Taken with one upsert in the
-- commit that stores the case, so numbers have no gaps and no lock outside the database.
CREATE TABLE case_numbers (
    department_id TEXT NOT NULL REFERENCES departments(id),
    jrwa TEXT NOT NULL,
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (department_id, jrwa, year)
);

-- The correspondence register (RPW): every item in or out, numbered per office and year.
CREATE TABLE register_numbers (
    office_id TEXT NOT NULL REFERENCES offices(id),
    year BIGINT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (office_id, year)
);

CREATE TABLE register_entries (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    correspondent TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    submission_id TEXT,
    message_id TEXT,
    department_id TEXT REFERENCES departments(id),
    case_id TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (office_id, year, number)
);
CREATE UNIQUE INDEX register_entries_submission ON register_entries (submission_id);
CREATE INDEX register_entries_office ON register_entries (office_id, year, number);

-- Dates (started_on, deadline, suspended_on) are civil dates written YYYY-MM-DD, so that they
-- sort as they read.
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    jrwa TEXT NOT NULL,
    number BIGINT NOT NULL,
    year BIGINT NOT NULL,
    signature TEXT NOT NULL,
    title TEXT NOT NULL,
    party_user_id TEXT REFERENCES users(id),
    party_name TEXT NOT NULL,
    handler_id TEXT REFERENCES users(id),
    status TEXT NOT NULL,
    term TEXT NOT NULL,
    started_on TEXT NOT NULL,
    excluded_days BIGINT NOT NULL,
    suspended_on TEXT,
    deadline TEXT NOT NULL,
    register_entry_id TEXT REFERENCES register_entries(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    UNIQUE (department_id, jrwa, year, number),
    UNIQUE (office_id, signature)
);
CREATE INDEX cases_worklist ON cases (department_id, status, deadline, id);
CREATE INDEX cases_party ON cases (party_user_id);

-- A case's timeline: everything that happened to it, in order.
CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at)
