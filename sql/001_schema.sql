-- The contacts schema: accounts, their workspace (the tenant), API tokens, and the tenant tables
-- (contacts, tags, contact_tags) under forced row-level security.
--
-- Every primary key, unique key and foreign key of a tenant table starts with tenant_id, so the
-- schema stays distributable by tenant (Citus: create_distributed_table(..., 'tenant_id')).

-- The role the service connects as: owns nothing, no superuser, no BYPASSRLS. Deployments give it
-- LOGIN and a password; created here (NOLOGIN) only when missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contacts_app') THEN
        CREATE ROLE contacts_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- At most one workspace per account; the workspace id is the tenant id.
CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored; the token itself is shown once, at creation.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- id is a ULID stored in a uuid (16 bytes, time-ordered).
CREATE TABLE contacts (
    tenant_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{1,14}$'),
    name text CHECK (char_length(name) BETWEEN 1 AND 255),
    email text CHECK (char_length(email) BETWEEN 3 AND 254),
    metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, phone)
);

CREATE TABLE tags (
    tenant_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- position keeps the order in which the client gave the tags.
CREATE TABLE contact_tags (
    tenant_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    tag_id bigint NOT NULL,
    position smallint NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, tag_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_tags_by_tag ON contact_tags (tenant_id, tag_id, contact_id);

-- Row-level security, forced (it applies to the owner too). With app.tenant_id unset the policy
-- raises an error, so a query that forgot the tenant fails instead of seeing nothing or everything.
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contacts
    USING (tenant_id = (SELECT current_setting('app.tenant_id')::uuid))
    WITH CHECK (tenant_id = (SELECT current_setting('app.tenant_id')::uuid));

ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tags
    USING (tenant_id = (SELECT current_setting('app.tenant_id')::uuid))
    WITH CHECK (tenant_id = (SELECT current_setting('app.tenant_id')::uuid));

ALTER TABLE contact_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_tags
    USING (tenant_id = (SELECT current_setting('app.tenant_id')::uuid))
    WITH CHECK (tenant_id = (SELECT current_setting('app.tenant_id')::uuid));

-- Only what the service needs: resolve a token to its workspace, and the tenant tables.
GRANT USAGE ON SCHEMA public TO contacts_app;
GRANT SELECT (id, account_id, token_hash, revoked_at) ON api_tokens TO contacts_app;
GRANT SELECT (id, account_id) ON workspaces TO contacts_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts, tags, contact_tags TO contacts_app;
