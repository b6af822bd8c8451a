-- Access, version 3: the people who sign in, their memberships and custom roles per
-- organization, and web sessions.
--
-- `users` and `sessions` are instance-level (a person has one account across organizations; a
-- session is found by its cookie before any organization is known): on Citus they are reference
-- tables like `organizations`. `memberships` and `roles` belong to one organization and every
-- key and index leads with `organization_id`, except `memberships_user`, which finds a user's
-- organizations at sign-in (docs/deployment.md: keep `memberships` a reference table on Citus).
CREATE TABLE users (
    id text PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text,
    created_at bigint NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- `role` is a built-in role (`owner`, `admin`, `security_manager`, `security_analyst`, `member`)
-- or a custom role's id.
CREATE TABLE memberships (
    organization_id text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    actor_id text,
    created_at bigint NOT NULL,
    deactivated_at bigint,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, organization_id);

CREATE TABLE roles (
    organization_id text NOT NULL,
    id text NOT NULL,
    name text NOT NULL,
    permissions text[] NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles (organization_id, lower(name));

-- Only hashes of the session cookie and of its CSRF token are kept.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    csrf_hash bytea NOT NULL,
    user_id text NOT NULL,
    organization_id text,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
