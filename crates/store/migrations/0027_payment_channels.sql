-- How a fee was paid: `online` through the payment provider (its session id), or `cash` at a
-- post office or office counter (the session id is then the cash receipt's id). Only online
-- payments are reconciled against the provider's report, cash is in the counter's cash report.
ALTER TABLE payments ADD COLUMN channel TEXT NOT NULL DEFAULT 'online';
