-- One PESEL, one person: at most one trusted profile not revoked per PESEL, whatever account
-- holds it. Where an earlier version let a second account get a profile for a PESEL that
-- already had one, the later profile is revoked (the first confirmed stays in force) before
-- the rule is put in place.
UPDATE trusted_profiles SET revoked_at = valid_from
WHERE revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM trusted_profiles o
    WHERE o.pesel = trusted_profiles.pesel AND o.revoked_at IS NULL
      AND (o.valid_from < trusted_profiles.valid_from
           OR (o.valid_from = trusted_profiles.valid_from AND o.user_id < trusted_profiles.user_id))
);
CREATE UNIQUE INDEX trusted_profiles_one_per_pesel ON trusted_profiles (pesel) WHERE revoked_at IS NULL;
