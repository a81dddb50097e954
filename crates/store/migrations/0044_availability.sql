-- Officials' own availability: the times an official does not receive people. They narrow
-- the places of the appointment slots whose schedules name the official.
CREATE TABLE availability_away (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX availability_away_user ON availability_away (user_id, ends_at);

-- The places a slot offers as its schedule and its officials' availability make them. Its
-- capacity is never below what it holds: narrowed below its bookings, it keeps them, and a
-- place given back then is not offered again.
ALTER TABLE appointment_slots ADD COLUMN offered BIGINT NOT NULL DEFAULT 0;
UPDATE appointment_slots SET offered = capacity;
