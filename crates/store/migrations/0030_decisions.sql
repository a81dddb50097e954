-- Decisions in cases. An office's templates: a text with fields from the case, for one JRWA
-- class or (jrwa empty) any, and whether a decision from it needs the head's approval.
CREATE TABLE decision_templates (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    name TEXT NOT NULL,
    jrwa TEXT NOT NULL,
    body TEXT NOT NULL,
    approval BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX decision_templates_office ON decision_templates (office_id, name);

-- A decision: drafted, approved (where its template asks so), signed with the office seal
-- (its PDF in the blob store by SHA-256, its detached CAdES-T signature here, its signing
-- evidence in the log) and dispatched as a message whose delivery starts the appeal period.
CREATE TABLE case_decisions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    n BIGINT NOT NULL,
    template_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    approval BIGINT NOT NULL,
    status TEXT NOT NULL,
    drafted_by TEXT NOT NULL REFERENCES users(id),
    drafted_at BIGINT NOT NULL,
    approved_by TEXT REFERENCES users(id),
    approved_at BIGINT,
    signed_by TEXT REFERENCES users(id),
    signed_at BIGINT,
    pdf_sha256 TEXT,
    pdf_size BIGINT,
    signature TEXT,
    evidence_id TEXT,
    message_id TEXT,
    dispatched_at BIGINT,
    UNIQUE (case_id, n)
);
CREATE INDEX case_decisions_message ON case_decisions (message_id);
