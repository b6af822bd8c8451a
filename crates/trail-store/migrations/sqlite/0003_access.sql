-- Access, version 3: the people who sign in, their memberships and custom roles per
-- organization, and web sessions.
--
-- `users` and `sessions` are instance-level (a person has one account across organizations; a
-- session is found by its cookie before any organization is known). `memberships` and `roles`
-- belong to one organization and lead with `org`; `memberships_user` finds a user's
-- organizations at sign-in.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE,
    name TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_email ON users (email);

-- `role` is a built-in role (`owner`, `admin`, `security_manager`, `security_analyst`, `member`)
-- or a custom role's id.
CREATE TABLE memberships (
    org INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    actor_id TEXT,
    created_at INTEGER NOT NULL,
    deactivated_at INTEGER,
    PRIMARY KEY (org, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, org);

-- `permissions` is a JSON array of permission names.
CREATE TABLE roles (
    org INTEGER NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,
    permissions TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX roles_name ON roles (org, name);

-- Only hashes of the session cookie and of its CSRF token are kept.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    csrf_hash BLOB NOT NULL,
    user_id TEXT NOT NULL,
    organization_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions (expires_at);
