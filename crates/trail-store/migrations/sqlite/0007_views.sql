-- Saved views of the Activity log, version 7 (/v1/views).
CREATE TABLE saved_views (
    org INTEGER NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    shared INTEGER NOT NULL,
    is_default INTEGER NOT NULL,
    filters TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE INDEX saved_views_owner ON saved_views (org, owner);
