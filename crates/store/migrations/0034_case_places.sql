-- Where a case is: an address, a point in WGS 84 (whole ten-millionths of a degree, so both
-- engines keep it exactly), or both. One place per case, listed by department for its map.
CREATE TABLE case_places (
    case_id TEXT PRIMARY KEY REFERENCES cases(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    address TEXT NOT NULL,
    lat_e7 BIGINT,
    lon_e7 BIGINT,
    updated_by TEXT NOT NULL REFERENCES users(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX case_places_department ON case_places (department_id, case_id);
