-- The event-type catalogue, version 8 (/v1/event-types).
--
-- `event_types` holds each catalogued action's current definition; `event_type_versions` every
-- schema version it ever had (RFC 8785 JSON of its metadata, resource and targets schemas), kept
-- when the type is deleted so that a version number never means two schemas.
CREATE TABLE event_types (
    organization_id TEXT NOT NULL,
    action TEXT NOT NULL,
    area TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT,
    metadata_schema TEXT,
    resource_schema TEXT,
    targets_schema TEXT,
    template TEXT,
    enabled BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, action)
);

CREATE TABLE event_type_versions (
    organization_id TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    schemas TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, action, version)
);

-- How the organization checks events against its catalogue: off, warn or enforce.
ALTER TABLE org_settings ADD COLUMN event_type_validation TEXT NOT NULL DEFAULT 'off';
