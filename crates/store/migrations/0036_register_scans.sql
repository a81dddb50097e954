-- Paper letters registered with their scan: the scan's file (in the blob store by its SHA-256),
-- the detached CAdES-T signature the office put over it and the evidence of the certified
-- electronic copy note an official signed. One scan per register entry.
CREATE TABLE register_scans (
    entry_id TEXT PRIMARY KEY REFERENCES register_entries(id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    signature TEXT NOT NULL,
    evidence_id TEXT NOT NULL,
    certified_by TEXT NOT NULL REFERENCES users(id),
    certified_name TEXT NOT NULL,
    certified_at BIGINT NOT NULL
);
