-- Assisted service at a counter: with the citizen present and their consent recorded, a
-- clerk acts for them until the visit ends.
CREATE TABLE counter_visits (
    id TEXT PRIMARY KEY,
    service_point_id TEXT NOT NULL REFERENCES service_points(id),
    clerk_id TEXT NOT NULL REFERENCES users(id),
    citizen_id TEXT NOT NULL REFERENCES users(id),
    consent_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX counter_visits_clerk ON counter_visits (clerk_id, ended_at);
