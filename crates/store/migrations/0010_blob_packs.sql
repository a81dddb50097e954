-- Attachments packed into append-only pack files: where each blob's bytes are. A row is
-- written in the same transaction as the message that first stored the blob, after the pack
-- is synced, so a committed message never points at bytes that are not on disk.
CREATE TABLE packed_blobs (
    sha256 TEXT PRIMARY KEY,
    pack BIGINT NOT NULL,
    pack_offset BIGINT NOT NULL,
    length BIGINT NOT NULL
);
