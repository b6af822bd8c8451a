-- Retention, version 5.
--
-- The leaf hash of every event the retention job removed, so that Merkle proofs, roots and
-- `trail verify` keep working over the whole log. Removed events always form a prefix of the log
-- by seq.
CREATE TABLE retired_leaves (
    organization_id text NOT NULL,
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (organization_id, seq)
);
