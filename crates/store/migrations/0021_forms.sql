-- The forms of e-services (domain::forms). A published form version is immutable: its id is
-- the SHA-256 of its definition and n counts the versions of one service (1, 2 ...).
CREATE TABLE service_forms (
    service_id TEXT NOT NULL REFERENCES public_services(id),
    version TEXT NOT NULL,
    n BIGINT NOT NULL,
    definition TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT,
    PRIMARY KEY (service_id, version),
    UNIQUE (service_id, n)
);
-- The service's current form version, kept with the service so that the catalogue shows
-- it without a query per service (set in the commit that publishes).
ALTER TABLE public_services ADD COLUMN form_version TEXT;
-- A person's form in progress: the answers so far (JSON), on the version it was started on.
CREATE TABLE form_drafts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES public_services(id),
    version TEXT NOT NULL,
    answers TEXT NOT NULL,
    step BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reminded_at BIGINT
);
CREATE INDEX form_drafts_by_user ON form_drafts (user_id, updated_at);
CREATE INDEX form_drafts_by_expiry ON form_drafts (expires_at);
-- A submitted form: the message to the office's mailbox that carries it (stored in the same
-- commit) and its official receipt (UPP, evidence of type submission-receipt).
CREATE TABLE submissions (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    reference TEXT NOT NULL UNIQUE,
    service_id TEXT NOT NULL REFERENCES public_services(id),
    office_id TEXT NOT NULL,
    user_id TEXT,
    version TEXT NOT NULL,
    answers TEXT NOT NULL,
    status TEXT NOT NULL,
    fee BIGINT NOT NULL,
    upp_id TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);
CREATE INDEX submissions_by_office ON submissions (office_id, service_id, submitted_at);
CREATE INDEX submissions_by_user ON submissions (user_id, submitted_at);
