-- An art. 36 KPA delay: the days the office added to a case's term when it told the party of
-- a new date, counted like the excluded days (so a later suspension still moves the date).
ALTER TABLE cases ADD COLUMN extended_days BIGINT NOT NULL DEFAULT 0;

-- The daily digest finds every case near or past its deadline that has a handler.
CREATE INDEX cases_due ON cases (status, deadline);
