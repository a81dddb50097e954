-- Exports of a service's submissions (CSV or JSON) made by a background job: the request,
-- its progress (done of total) and, when done, the file in the blob store (sha256, size).
-- status is queued, running, done or failed.
CREATE TABLE submission_exports (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES public_services(id),
    format TEXT NOT NULL,
    lang TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL,
    sha256 TEXT,
    size BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX submission_exports_by_service ON submission_exports (service_id, created_at)
