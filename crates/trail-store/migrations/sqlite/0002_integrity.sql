-- Integrity, version 2: the Merkle tree of each organization's log and its signed checkpoints.
--
-- Level 0 of the tree is `events.hash`. Of the interior nodes only the perfect ones at levels
-- that are multiples of 4 are kept (about one row per 15 events); every other node is folded from
-- the stored level below it when a proof needs it. Rows are written in the same transaction as
-- the events that complete them.
CREATE TABLE tree_nodes (
    org INTEGER NOT NULL,
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (org, level, idx)
) WITHOUT ROWID;

-- Every signed checkpoint, kept forever: the C2SP signed note exactly as signed.
CREATE TABLE checkpoints (
    org INTEGER NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, size)
) WITHOUT ROWID;
