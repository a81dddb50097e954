-- Trusted profiles: a citizen applies online, a clerk confirms the identity in person at a
-- counter (by the application's number together with the PESEL, never from a list).
CREATE TABLE tp_applications (
    number TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    pesel TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    id_document TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- pending | confirmed | refused
    status TEXT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT REFERENCES users(id),
    service_point_id TEXT REFERENCES service_points(id),
    reason TEXT
);
CREATE INDEX tp_applications_user ON tp_applications (user_id, created_at);

CREATE TABLE trusted_profiles (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    pesel TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    confirmed_by TEXT NOT NULL REFERENCES users(id),
    service_point_id TEXT REFERENCES service_points(id),
    application TEXT NOT NULL REFERENCES tp_applications(number),
    revoked_at BIGINT
);
CREATE INDEX trusted_profiles_pesel ON trusted_profiles (pesel);
