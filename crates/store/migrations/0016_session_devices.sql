-- What a session was opened from, in words ("Firefox on Linux"), so a person can tell their
-- sessions apart on the account page and end the ones they do not recognise.
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
