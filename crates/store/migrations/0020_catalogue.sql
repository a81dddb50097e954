-- The catalogue of public services: what each office offers. `spec` is the service as the
-- office describes it (texts in the four languages, fee, channels..., as JSON of
-- domain::catalogue::ServiceSpec). `search` and `name_folded` are its folded text
-- (domain::catalogue::fold), so search tolerates missing diacritics. `tags` holds the
-- category codes and the life events (as event:CODE), each between two semicolons, so one
-- is found with LIKE.
CREATE TABLE public_services (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    code TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    spec TEXT NOT NULL,
    search TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (office_id, code)
);
CREATE INDEX public_services_by_name ON public_services (name_folded, id);
