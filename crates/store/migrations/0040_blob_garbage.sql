-- Files that records no longer need: the documents and decision PDFs of cases whose
-- destruction list was approved, queued in the commit that approves it. The sweep (under the
-- sweep lease) deletes each file once no live record refers to its SHA-256 any more, and drops
-- the row either way.
CREATE TABLE blob_garbage (
    sha256 TEXT PRIMARY KEY,
    queued_at BIGINT NOT NULL
);
