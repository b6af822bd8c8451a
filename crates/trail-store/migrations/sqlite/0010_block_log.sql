-- Storage engine v2, version 10 (docs/storage.md): the block log and the bitmap index.
--
-- (0009 is reserved for another branch.) The v1 event tables (`events`, `events_fts`,
-- `event_targets`, `dict`) are converted into these on open, in batches by seq, and then dropped.
--
-- `blocks`: consecutive events of one organization (at most a few hundred), holding each event's
-- canonical leaf bytes cut where `prev` and `seq` go (zstd), its leaf hash (32 bytes each, in
-- seq order) and its `occurred_at` (8 bytes each, little-endian), with the block's time bounds.
CREATE TABLE blocks (
    org INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL,
    times BLOB NOT NULL,
    hashes BLOB NOT NULL,
    events BLOB NOT NULL,
    PRIMARY KEY (org, first_seq)
) WITHOUT ROWID;

-- An immutable sorted run of postings (term -> roaring bitmap of seqs) covering the seqs
-- `[first_seq, end_seq)`; tier 0 is one group commit, tier n + 1 the merge of 16 runs of tier n.
-- `directory` is the first term of each of its pages; `ids` a Bloom filter of its `id=` terms
-- (16 bits per event), so that looking an event id up skips the runs that cannot hold it. `id` is
-- never reused, so readers cache a run's directory and filter by it.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org INTEGER NOT NULL,
    tier INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    min_time INTEGER NOT NULL,
    max_time INTEGER NOT NULL,
    directory BLOB NOT NULL,
    ids BLOB NOT NULL
);
CREATE INDEX runs_org ON runs (org, first_seq);

-- The pages of a run, about 32 KiB of consecutive postings each.
CREATE TABLE run_pages (
    org INTEGER NOT NULL,
    run INTEGER NOT NULL,
    page INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (org, run, page)
) WITHOUT ROWID;
