-- Sign-in attempts are pruned by age (a failed login no longer keeps its row for ever).
CREATE INDEX login_failures_at ON login_failures (at);
-- Rows from before this version hold logins as typed (up to megabytes): they are dropped.
DELETE FROM login_failures;
