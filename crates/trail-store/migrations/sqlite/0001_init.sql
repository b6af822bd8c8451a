-- Trail's embedded schema, version 1.
--
-- Every event table's primary key and index leads with `org`, the organization's internal integer
-- key, so no query can cross organizations by accident. `organizations` and `api_keys` are
-- instance-level tables (an API key is looked up by its secret before its organization is known).

CREATE TABLE organizations (
    org INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_id ON organizations (id);

-- `org` 0 holds the instance-level (operator) keys.
CREATE TABLE api_keys (
    org INTEGER NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    revoked_at INTEGER,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (secret_hash);
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);

CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Per-organization dictionary of low-cardinality strings (action, area, outcome, source, actor
-- type and role, resource type, country): events store the dense integer `id`.
CREATE TABLE dict (
    org INTEGER NOT NULL,
    id INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX dict_value ON dict (org, value);

-- One row per event. `id` is the 16 UUID bytes of a server id (`evt_<32 hex>`), the text otherwise;
-- `prev` is the `hash` of `seq - 1`; `body` is the compact JSON of the fields without a column.
CREATE TABLE events (
    org INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_delta INTEGER NOT NULL,
    id BLOB NOT NULL,
    hash BLOB NOT NULL,
    action INTEGER NOT NULL,
    area INTEGER NOT NULL,
    outcome INTEGER NOT NULL,
    actor_type INTEGER NOT NULL,
    actor_id TEXT NOT NULL COLLATE NOCASE,
    source INTEGER,
    actor_role INTEGER,
    resource_type INTEGER,
    country INTEGER,
    actor_name TEXT COLLATE NOCASE,
    actor_email TEXT COLLATE NOCASE,
    resource_id TEXT COLLATE NOCASE,
    resource_name TEXT COLLATE NOCASE,
    ip BLOB,
    body TEXT,
    PRIMARY KEY (org, seq)
) WITHOUT ROWID;

CREATE UNIQUE INDEX events_id ON events (org, id);
-- The time index carries every dictionary column, so that a filter on the rarer-used ones
-- (outcome, actor type and role, resource type, country) is checked in the index itself.
CREATE INDEX events_occurred ON events (org, occurred_at, seq, action, area, source, outcome,
    actor_type, actor_role, resource_type, country);
CREATE INDEX events_action ON events (org, action, occurred_at, seq);
CREATE INDEX events_area ON events (org, area, occurred_at, seq);
CREATE INDEX events_source ON events (org, source, occurred_at, seq) WHERE source IS NOT NULL;
CREATE INDEX events_actor_id ON events (org, actor_id, occurred_at, seq);
CREATE INDEX events_actor_name ON events (org, actor_name, occurred_at, seq) WHERE actor_name IS NOT NULL;
CREATE INDEX events_actor_email ON events (org, actor_email, occurred_at, seq) WHERE actor_email IS NOT NULL;
CREATE INDEX events_resource_id ON events (org, resource_id, occurred_at, seq) WHERE resource_id IS NOT NULL;
CREATE INDEX events_resource_name ON events (org, resource_name, occurred_at, seq) WHERE resource_name IS NOT NULL;
CREATE INDEX events_ip ON events (org, ip, occurred_at, seq) WHERE ip IS NOT NULL;

-- Target ids and names, one row per distinct value of an event.
CREATE TABLE event_targets (
    org INTEGER NOT NULL,
    value TEXT NOT NULL COLLATE NOCASE,
    occurred_at INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (org, value, occurred_at, seq)
) WITHOUT ROWID;

-- Free text (description, action, actor, resource, metadata) for bare-word search. Contentless
-- and without positions: it only narrows candidates, which are then checked for the exact phrase.
-- rowid = org * 2^40 + seq.
CREATE VIRTUAL TABLE events_fts USING fts5 (text, content = '', detail = none, columnsize = 0);
