-- The event-type catalogue, version 8 (/v1/event-types).
--
-- `event_types` holds each catalogued action's current definition; `event_type_versions` every
-- schema version it ever had (RFC 8785 JSON of its metadata, resource and targets schemas), kept
-- when the type is deleted so that a version number never means two schemas.
CREATE TABLE event_types (
    org INTEGER NOT NULL,
    action TEXT NOT NULL,
    area TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT,
    metadata_schema TEXT,
    resource_schema TEXT,
    targets_schema TEXT,
    template TEXT,
    enabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org, action)
) WITHOUT ROWID;

CREATE TABLE event_type_versions (
    org INTEGER NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    schemas TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, action, version)
) WITHOUT ROWID;

-- How the organization checks events against its catalogue: off, warn or enforce.
ALTER TABLE org_settings ADD COLUMN event_type_validation TEXT NOT NULL DEFAULT 'off';
