-- Job leases, version 6.
--
-- Which node runs a background job that must run on one node at a time, and until when: a node
-- takes a free or expired lease, or renews its own, in one statement.
CREATE TABLE job_leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at bigint NOT NULL
);
