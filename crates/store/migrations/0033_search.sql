-- The full-text index (store sql/search.rs): each item's folded words in its scope (a
-- department, an office or a mailbox). search_words has one row per word, so the items of a
-- kind with a word starting with w are one range of its key, the newest last. search_items
-- has each item's words on one line (a space before and after each) for testing the other
-- words asked, and what an answer shows and opens (a document opens its case). Filled for
-- what is already there by the migration runner (sql/search.rs index_existing_in), then in
-- the commit that stores each item.
CREATE TABLE search_items (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    label TEXT NOT NULL,
    opens TEXT NOT NULL,
    words TEXT NOT NULL,
    PRIMARY KEY (scope, kind, item_id)
);
CREATE TABLE search_words (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    word TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (scope, kind, word, item_id)
);
