-- Integrity, version 2: the Merkle tree of each organization's log and its signed checkpoints.
--
-- Level 0 of the tree is `events.hash`. Of the interior nodes only the perfect ones at levels
-- that are multiples of 4 are kept (about one row per 15 events); every other node is folded from
-- the stored level below it when a proof needs it. Rows are written in the same transaction as
-- the events that complete them.
CREATE TABLE tree_nodes (
    organization_id text NOT NULL,
    level integer NOT NULL,
    idx bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (organization_id, level, idx)
);

-- Every signed checkpoint, kept forever: the C2SP signed note exactly as signed.
CREATE TABLE checkpoints (
    organization_id text NOT NULL,
    size bigint NOT NULL,
    root bytea NOT NULL,
    note text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (organization_id, size)
);

-- The tree's frontier (`CompactRange::to_bytes`: 8 bytes of size, then one hash per perfect
-- subtree), moved with `next_seq` under the head lock so that any node continues the same tree.
-- Existing organizations start at the empty tree (size 0): the first append, or the first read
-- of a tree node, builds the tree of their stored events under the head lock, so this migration
-- stays instant on a large database.
ALTER TABLE org_heads ADD COLUMN tree bytea NOT NULL DEFAULT '\x0000000000000000'::bytea;
