-- Exports, settings and retention, version 4 (version 3 belongs to access control).
--
-- Per-organization settings: retention and the longest window one export may cover. An
-- organization without a row has the defaults (365 days, no limit).
CREATE TABLE org_settings (
    organization_id text NOT NULL PRIMARY KEY,
    retention_days bigint NOT NULL,
    max_export_window_days bigint,
    updated_at bigint NOT NULL
);

-- Asynchronous export jobs and their history. `spec` is the request as JSON (format, query,
-- time frame, options); the file lives under `<data_dir>/exports/`.
CREATE TABLE export_jobs (
    organization_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    spec text NOT NULL,
    status text NOT NULL,
    record_count bigint NOT NULL,
    progress bigint NOT NULL,
    error text,
    created_by text NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    expires_at bigint,
    file_name text,
    file_size bigint,
    PRIMARY KEY (organization_id, id)
);

CREATE INDEX export_jobs_by_created ON export_jobs (organization_id, created_at);
CREATE INDEX export_jobs_by_status ON export_jobs (status, created_at);
