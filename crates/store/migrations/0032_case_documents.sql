-- A case's working documents: each with its versions (the files in the blob store by
-- SHA-256) and, while someone edits it, its holder (a check-out: one at a time).
CREATE TABLE case_documents (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    holder_id TEXT REFERENCES users(id),
    held_since BIGINT,
    versions BIGINT NOT NULL
);
CREATE INDEX case_documents_case ON case_documents (case_id, created_at);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES case_documents(id),
    n BIGINT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    at BIGINT NOT NULL,
    PRIMARY KEY (document_id, n)
);
