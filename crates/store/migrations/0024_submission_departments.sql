-- The department of the office that handles a submission: the code of the service's
-- handling department when it was submitted (NULL when the service names none, then the
-- office's officials who are in no department and its admins handle it). The submissions
-- already there get theirs from their services when this migration is applied.
ALTER TABLE submissions ADD COLUMN department TEXT;
CREATE INDEX submissions_by_department ON submissions (office_id, department, submitted_at)
