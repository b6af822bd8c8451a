-- Trail's PostgreSQL schema, version 1.
--
-- Every primary key and index leads with `organization_id` and no row refers to another
-- organization's rows, so `events` and `org_heads` can be distributed by `organization_id` on
-- Citus and an append touches one shard. `organizations`, `api_keys` and `instance_settings` are
-- small instance-wide tables (an API key is looked up by its secret before its organization is
-- known): on Citus they are reference tables (docs/deployment.md).
--
-- Strings that queries match case-insensitively are `COLLATE "C"`, so `lower()` folds ASCII only
-- (the query language's rule) and compares bytes; they are indexed by `lower(column)`.
-- Times are milliseconds since the Unix epoch (`bigint`), the wire format's precision.

CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE organizations (
    organization_id text PRIMARY KEY,
    name text NOT NULL,
    created_at bigint NOT NULL
);

-- The head of each organization's log. An append locks this row (`FOR UPDATE`), so appends to
-- one organization are serialised across every node sharing the database.
CREATE TABLE org_heads (
    organization_id text PRIMARY KEY,
    next_seq bigint NOT NULL,
    last_hash bytea NOT NULL
);

-- `organization_id` is '' for instance-level (operator) keys.
CREATE TABLE api_keys (
    organization_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    scopes text[] NOT NULL,
    prefix text NOT NULL,
    secret_hash bytea NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    last_used_at bigint,
    revoked_at bigint,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (secret_hash);
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);

CREATE TABLE instance_settings (
    key text PRIMARY KEY,
    value text NOT NULL
);

-- One row per event. `data` is the event's client-visible content exactly as serialised (the
-- `json` type keeps the text as written, so numbers round-trip and the leaf hash can be
-- recomputed from it); the other columns are copies for filtering, sorting and indexes.
-- `target_keys` holds the ASCII-lowercased ids and names of the targets; `words` the
-- ASCII-lowercased alphanumeric tokens of the free text (description, action, actor, resource,
-- metadata), tokenised by Trail rather than a text-search configuration.
CREATE TABLE events (
    organization_id text NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL,
    v smallint NOT NULL,
    occurred_at bigint NOT NULL,
    received_at bigint NOT NULL,
    prev bytea NOT NULL,
    hash bytea NOT NULL,
    action text COLLATE "C" NOT NULL,
    area text COLLATE "C" NOT NULL,
    outcome text COLLATE "C" NOT NULL,
    actor_id text COLLATE "C" NOT NULL,
    actor_type text COLLATE "C" NOT NULL,
    actor_name text COLLATE "C",
    actor_email text COLLATE "C",
    actor_role text COLLATE "C",
    resource_type text COLLATE "C",
    resource_id text COLLATE "C",
    resource_name text COLLATE "C",
    source text COLLATE "C",
    country text COLLATE "C",
    ip inet,
    target_keys text[] COLLATE "C" NOT NULL,
    words tsvector NOT NULL,
    data json NOT NULL,
    PRIMARY KEY (organization_id, seq)
);

-- Indexes cost ingest speed, so only selective fields have one: a filter on a low-cardinality
-- field (area, source, outcome, actor type and role, resource type, country) finds its page by
-- walking `events_occurred` in time order, which stops after `limit` matches.
CREATE UNIQUE INDEX events_id ON events (organization_id, id);
CREATE INDEX events_occurred ON events (organization_id, occurred_at, seq);
CREATE INDEX events_action ON events (organization_id, lower(action), occurred_at, seq);
CREATE INDEX events_actor_id ON events (organization_id, lower(actor_id), occurred_at, seq);
CREATE INDEX events_actor_email ON events (organization_id, lower(actor_email), occurred_at, seq);
CREATE INDEX events_actor_name ON events (organization_id, lower(actor_name), occurred_at, seq);
CREATE INDEX events_resource_id ON events (organization_id, lower(resource_id), occurred_at, seq);
CREATE INDEX events_resource_name ON events (organization_id, lower(resource_name), occurred_at, seq);
CREATE INDEX events_ip ON events (organization_id, ip, occurred_at, seq);
CREATE INDEX events_targets ON events USING gin (organization_id, target_keys);
CREATE INDEX events_words ON events USING gin (organization_id, words);
