-- Saved views of the Activity log, version 7 (/v1/views).
CREATE TABLE saved_views (
    organization_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    is_default BOOLEAN NOT NULL,
    filters TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX saved_views_owner ON saved_views (organization_id, owner);
