-- Appointments: what an office offers to be booked (one service at one place: an office's
-- department or a post office), the slots that follow from it, the bookings (a place is
-- counted in its slot's `taken` while `holds_place` is 1, and a hold's or a cancelled booking's
-- place returns at `place_until`), the queue tickets at the place, numbered per place and day
-- in the database, and each official's secret calendar feed.
CREATE TABLE appointment_schedules (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    service_id TEXT NOT NULL REFERENCES public_services(id),
    place_kind TEXT NOT NULL,
    place_id TEXT NOT NULL,
    place_name TEXT NOT NULL,
    place_address TEXT NOT NULL,
    spec TEXT NOT NULL,
    slots_until TEXT NOT NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (service_id, place_kind, place_id)
);
CREATE INDEX appointment_schedules_office ON appointment_schedules (office_id);
CREATE INDEX appointment_schedules_place ON appointment_schedules (place_kind, place_id);

CREATE TABLE appointment_slots (
    id TEXT PRIMARY KEY,
    schedule_id TEXT NOT NULL REFERENCES appointment_schedules(id),
    service_id TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    taken BIGINT NOT NULL,
    generation BIGINT NOT NULL,
    UNIQUE (schedule_id, starts_at)
);
CREATE INDEX appointment_slots_service ON appointment_slots (service_id, starts_at);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    slot_id TEXT NOT NULL REFERENCES appointment_slots(id),
    schedule_id TEXT NOT NULL REFERENCES appointment_schedules(id),
    service_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    holds_place BIGINT NOT NULL,
    place_until BIGINT,
    sequence BIGINT NOT NULL,
    reminded BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appointments_user ON appointments (user_id, service_id, holds_place);
CREATE INDEX appointments_slot ON appointments (slot_id, holds_place);
CREATE INDEX appointments_release ON appointments (holds_place, place_until);
CREATE INDEX appointments_remind ON appointments (reminded, status, starts_at);
CREATE INDEX appointments_schedule ON appointments (schedule_id, starts_at);

CREATE TABLE queue_numbers (
    place_key TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (place_key, day)
);

CREATE TABLE queue_tickets (
    id TEXT PRIMARY KEY,
    place_key TEXT NOT NULL,
    day TEXT NOT NULL,
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    appointment_id TEXT REFERENCES appointments(id),
    service_id TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    called_at BIGINT,
    called_by TEXT REFERENCES users(id),
    desk TEXT NOT NULL,
    finished_at BIGINT,
    UNIQUE (place_key, day, number)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (place_key, day, status, created_at);

CREATE TABLE calendar_feeds (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
