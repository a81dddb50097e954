-- Cash receipt numbers are handed out by the database, one service point's row at a time,
-- so that instances sharing it never give one number twice and need no lock of their own.
-- A number taken by a receipt that never reached its commit stays unused, and the cash report
-- names such gaps.
CREATE TABLE receipt_numbers (
    service_point_id TEXT PRIMARY KEY REFERENCES service_points(id),
    last BIGINT NOT NULL
);
INSERT INTO receipt_numbers (service_point_id, last)
    SELECT service_point_id, MAX(number) FROM cash_receipts GROUP BY service_point_id;
