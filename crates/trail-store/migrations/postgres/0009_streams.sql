-- SIEM streams, version 9 (/v1/streams).
--
-- `streams` holds each destination's configuration; `secrets` (tokens, webhook secrets,
-- credentials) is a column of its own that the API never returns. `stream_deliveries` is the
-- delivery state the stream worker advances: the cursor over seq, health and counters, and a
-- generation that every administrative control bumps.
CREATE TABLE streams (
    organization_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    url TEXT NOT NULL,
    filter TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX streams_name ON streams (organization_id, name);

CREATE TABLE stream_deliveries (
    organization_id TEXT NOT NULL,
    id TEXT NOT NULL,
    next_seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    generation BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    failing_since BIGINT,
    last_success_at BIGINT,
    last_error_at BIGINT,
    last_error TEXT,
    last_status BIGINT,
    events_delivered BIGINT NOT NULL,
    bytes_delivered BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
);
