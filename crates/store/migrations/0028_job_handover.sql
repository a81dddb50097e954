-- When an attempt handed the job's work to a peer that cannot be asked afterwards (an email to
-- the SMTP server: the message was on its way once the server had agreed to take it). An
-- attempt that ends cleans it (done, or refused by the server and retried), so one still set
-- when the job is claimed again means the earlier attempt stopped mid-hand-over, and the job is
-- not done twice.
ALTER TABLE jobs ADD COLUMN handed_at BIGINT
