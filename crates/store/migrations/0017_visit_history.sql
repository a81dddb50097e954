-- A clerk's visits, newest first, and the receipts taken during one visit.
CREATE INDEX counter_visits_clerk_started ON counter_visits (clerk_id, started_at);
CREATE INDEX cash_receipts_visit ON cash_receipts (visit_id);
