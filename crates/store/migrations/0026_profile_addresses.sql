-- The address a person gives for letters, kept with their trusted profile's data and used to
-- fill the address fields of e-service forms. `address` is the form language's address answer
-- as JSON (street, building, flat, postal_code, city), already checked.
CREATE TABLE profile_addresses (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    address TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
