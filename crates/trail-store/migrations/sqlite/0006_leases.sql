-- Job leases, version 6.
--
-- Which node runs a background job that must run on one node at a time, and until when.
-- (One SQLite file has one server, so its leases are always its own; the table keeps the
-- backends alike.)
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
