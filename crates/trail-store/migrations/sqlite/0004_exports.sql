-- Exports, settings and retention, version 4 (version 3 belongs to access control).
--
-- Per-organization settings: retention and the longest window one export may cover. An
-- organization without a row has the defaults (365 days, no limit).
CREATE TABLE org_settings (
    organization_id TEXT NOT NULL PRIMARY KEY,
    retention_days INTEGER NOT NULL,
    max_export_window_days INTEGER,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Asynchronous export jobs and their history. `spec` is the request as JSON (format, query,
-- time frame, options); the file lives under `<data_dir>/exports/`.
CREATE TABLE export_jobs (
    organization_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    record_count INTEGER NOT NULL,
    progress INTEGER NOT NULL,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    expires_at INTEGER,
    file_name TEXT,
    file_size INTEGER,
    PRIMARY KEY (organization_id, id)
) WITHOUT ROWID;

CREATE INDEX export_jobs_by_created ON export_jobs (organization_id, created_at);
CREATE INDEX export_jobs_by_status ON export_jobs (status, created_at);
