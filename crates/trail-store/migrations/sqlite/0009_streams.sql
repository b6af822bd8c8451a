-- SIEM streams, version 9 (/v1/streams).
--
-- `streams` holds each destination's configuration; `secrets` (tokens, webhook secrets,
-- credentials) is a column of its own that the API never returns. `stream_deliveries` is the
-- delivery state the stream worker advances: the cursor over seq, health and counters, and a
-- generation that every administrative control bumps.
CREATE TABLE streams (
    org INTEGER NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    url TEXT NOT NULL,
    filter TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX streams_name ON streams (org, name);

CREATE TABLE stream_deliveries (
    org INTEGER NOT NULL,
    id TEXT NOT NULL,
    next_seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    generation INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER,
    failing_since INTEGER,
    last_success_at INTEGER,
    last_error_at INTEGER,
    last_error TEXT,
    last_status INTEGER,
    events_delivered INTEGER NOT NULL,
    bytes_delivered INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
