-- Electronic delivery mailboxes: a person's, a company's or a public body's.
CREATE TABLE mailboxes (
    address TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    office_id TEXT REFERENCES offices(id),
    pesel TEXT,
    nip TEXT,
    city TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mailboxes_kind_name ON mailboxes (kind, name);
CREATE INDEX mailboxes_pesel ON mailboxes (pesel);
CREATE INDEX mailboxes_nip ON mailboxes (nip);
CREATE INDEX mailboxes_office ON mailboxes (office_id);

-- Who may use a mailbox besides its owner: company representatives and an office's officials.
CREATE TABLE mailbox_members (
    address TEXT NOT NULL REFERENCES mailboxes(address),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    PRIMARY KEY (address, user_id)
);
CREATE INDEX mailbox_members_user ON mailbox_members (user_id);
