-- Retention, version 5.
--
-- The leaf hash of every event the retention job removed, so that Merkle proofs, roots and
-- `trail verify` keep working over the whole log: 40 bytes per removed event instead of the event.
-- Removed events always form a prefix of the log by seq.
CREATE TABLE retired_leaves (
    org INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (org, seq)
) WITHOUT ROWID;
