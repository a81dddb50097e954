-- The evidence log (RFC 9162 Merkle tree): leaves in order, and the signed tree heads.
CREATE TABLE log_leaves (
    idx BIGINT PRIMARY KEY,
    leaf_hash TEXT NOT NULL,
    leaf TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX log_leaves_hash ON log_leaves (leaf_hash);

CREATE TABLE log_tree_heads (
    tree_size BIGINT PRIMARY KEY,
    timestamp_ms BIGINT NOT NULL,
    root_hash TEXT NOT NULL,
    signature TEXT NOT NULL
);
