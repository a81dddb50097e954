-- A department's document library: folders (one inside another), documents with versions
-- (the files in the blob store by SHA-256) checked out by one official at a time, folders
-- shared with another department (to read, or to work in too), and documents linked into a
-- task or a case.
CREATE TABLE library_folders (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    parent_id TEXT REFERENCES library_folders(id),
    name TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
-- Two folders of one name side by side would be told apart by nobody.
CREATE UNIQUE INDEX library_folders_name ON library_folders (department_id, COALESCE(parent_id, ''), name);

CREATE TABLE library_documents (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    folder_id TEXT REFERENCES library_folders(id),
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    holder_id TEXT REFERENCES users(id),
    held_since BIGINT,
    versions BIGINT NOT NULL
);
CREATE INDEX library_documents_place ON library_documents (department_id, folder_id, title);

CREATE TABLE library_versions (
    document_id TEXT NOT NULL REFERENCES library_documents(id),
    n BIGINT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    at BIGINT NOT NULL,
    PRIMARY KEY (document_id, n)
);
CREATE INDEX library_versions_sha256 ON library_versions (sha256);

-- A folder (with what is inside it) shared with another department: level read or edit.
CREATE TABLE library_shares (
    folder_id TEXT NOT NULL REFERENCES library_folders(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    level TEXT NOT NULL,
    shared_by TEXT NOT NULL REFERENCES users(id),
    shared_at BIGINT NOT NULL,
    PRIMARY KEY (folder_id, department_id)
);
CREATE INDEX library_shares_department ON library_shares (department_id);

-- A document linked into a task or a case (kind task or case, with its id).
CREATE TABLE library_links (
    document_id TEXT NOT NULL REFERENCES library_documents(id),
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, kind, target_id)
);
CREATE INDEX library_links_target ON library_links (kind, target_id);
