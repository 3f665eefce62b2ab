-- The schema as migrations 001–017 left it, squashed into one file (sql/README.md): a new database
-- runs this; a database that applied 001–017 (each with the checksum below) is recognized as at
-- this baseline and runs nothing here. The functions live in sql/functions/, applied after the
-- migrations; on Citus their distribution is sql/distribute_functions.sql.
--
-- replaces 001_schema 1b6d24a5e2276778b99dccfcdaf6b6a9d443384f1209bee980891ff960fcc391
-- replaces 002_reads_and_updates 47fc2b1fdc0055ac495cc6aedeb967f2764681e52de2d24c052c6ba56d7fed68
-- replaces 003_stored_limits 267f9227d170fd9d27cad028e17187e9964de848068306e55b54659444440272
-- replaces 004_nfc_tags 5d5676e60a06d75c029a887058f49cfaf275aca2ffa856d9bcb2451dfd6a70ec
-- replaces 005_upsert_contact d6b823c0b7d83de8cecc44baddff32b550ebf42354380d9601a2710357a86d0a
-- replaces 006_update_contact 433e5942048b4ebdc6f821f3b42593d4bf3d71f3adf0212dc938996f46a747a2
-- replaces 007_citus_legal_writes fa0eca2e2c19cc70fc41bb05a353b377bd70b0bd93cf7ad7d71af70f7adfbb34
-- replaces 008_distributable e22e8d4de9a614b571ee07e80a7d8fdc0c691020256c2c3e34476df622e2b2f4
-- replaces 009_import_staging 0d4f8253bfca4090f4153862a523708dac71736665afb8c9541d8725908f0e70
-- replaces 010_import_jobs 69d90558d1db96adc1355e1f541e2e72bec77f8bbcacd752180f40a5faf0ca78
-- replaces 011_import_job_guards ad5b22701011ca6ff50f5125be23253e3747ec969961aaec468bdf6a006d5df7
-- replaces 012_movable_shards 895bda2f251606cadc3f04e3533d37c60ae9c432d1d28a4ae55e036fe5ba0655
-- replaces 013_change_feed 929d60fb87c2054fddd6c021c34977c6eff344df1e247be4fc46ef01a5b0a2ab
-- replaces 014_webhooks c9b078e12dc0636deda0933054476f7407573dee9ae8d68631bcdf8f973405a5
-- replaces 015_read_functions b2cac8d0e4e5874c9ba051ead62f88dfd75d38651edff797713bbf7bd782bbe1
-- replaces 016_bounded_numbering 82ea2d065ef3201706293eac5d035ebaa19809770f1794488e95932c8d0ed552
-- replaces 017_linear_change_recording 40f4dc6c05116b2d239196d35b7a2878e4bbb3a7a76c976c580e9f5abcffa0d5
--
-- Every primary key, unique key and foreign key of a tenant table starts with tenant_id, so the
-- schema is distributable by tenant (Citus: tables co-located with contacts by tenant_id). The
-- keys are added once every table has its place: on Citus a table is distributed only when the
-- tables its keys point to are already distributed or reference tables.

-- The role the service connects as: owns nothing, no superuser, no BYPASSRLS. Deployments give it
-- LOGIN and a password; created here (NOLOGIN) only when missing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'contacts_app') THEN
        CREATE ROLE contacts_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
END
$$;

-- Accounts, their workspace (the tenant: at most one per account, its id is the tenant id), and
-- API tokens, of which only the SHA-256 is stored (the token is shown once, at creation).
CREATE TABLE accounts (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL UNIQUE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- id is a ULID stored in a uuid (16 bytes, time-ordered). The metadata limit holds for what is
-- stored, not only for what a request sends: it catches what only the database computes (the
-- result of an update-contact merge patch).
CREATE TABLE contacts (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{1,14}$'),
    name text CHECK (char_length(name) BETWEEN 1 AND 255),
    email text CHECK (char_length(email) BETWEEN 3 AND 254),
    metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, phone),
    CONSTRAINT contacts_metadata_size CHECK (octet_length(metadata::text) <= 65536)
);
-- The list's filters at a million contacts per tenant.
CREATE INDEX contacts_by_email ON contacts (tenant_id, email, id) WHERE email IS NOT NULL;
CREATE INDEX contacts_by_updated_at ON contacts (tenant_id, updated_at, id);

CREATE TABLE tags (
    tenant_id uuid NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- position keeps the order in which the client gave the tags; 1-based, so at most 100 tags a
-- contact, also after add_tags (computed in SQL).
CREATE TABLE contact_tags (
    tenant_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    tag_id bigint NOT NULL,
    position smallint NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, tag_id),
    CONSTRAINT contact_tags_at_most_100 CHECK (position BETWEEN 1 AND 100)
);
CREATE INDEX contact_tags_by_tag ON contact_tags (tenant_id, tag_id, contact_id);

-- The CSV import's staging, shared by every import: a writer COPYs a batch in under its own key
-- (tenant, writer), and import_staged_contacts (sql/functions/import_staging.sql) upserts and
-- removes it in one transaction. A table in the tenant's shard group, not a temporary table: on
-- Citus the write runs on the tenant's worker, which cannot see a coordinator's temporary table.
-- No row-level security and only INSERT for the application role: the functions that read and
-- remove a batch run as the owner (COPY is refused into a table under row-level security). The key
-- lets logical replication move it (a writer stages one batch at a time). Unlogged on one
-- PostgreSQL (staged rows are worth nothing after a crash); logged on Citus, where shards move and
-- PostgreSQL refuses unlogged tables in a publication.
CREATE UNLOGGED TABLE import_staging (
    tenant_id uuid NOT NULL,
    writer uuid NOT NULL,
    row_number int NOT NULL,
    id uuid NOT NULL,
    phone text NOT NULL,
    name text,
    email text,
    tags text[] NOT NULL,
    metadata jsonb NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, writer, row_number)
);

-- Import jobs over HTTP (API.md, "Bulk over HTTP"): a job, its upload and its error report are
-- tenant rows.
CREATE TABLE import_jobs (
    tenant_id uuid NOT NULL,
    -- A ULID (time-ordered): the job list is newest first by id.
    id uuid NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    upload_bytes bigint NOT NULL CHECK (upload_bytes >= 0),
    upload_chunks int NOT NULL CHECK (upload_chunks >= 0),
    rows_read bigint NOT NULL DEFAULT 0,
    rows_created bigint NOT NULL DEFAULT 0,
    rows_updated bigint NOT NULL DEFAULT 0,
    rows_unchanged bigint NOT NULL DEFAULT 0,
    rows_superseded bigint NOT NULL DEFAULT 0,
    rows_invalid bigint NOT NULL DEFAULT 0,
    -- Runs started: above 1 after a restart (the job ran again from its first row); of them, the
    -- runs that stopped at a graceful shutdown (they do not count towards giving up on a job).
    attempts int NOT NULL DEFAULT 0,
    stopped_runs int NOT NULL DEFAULT 0,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    -- When retention deleted the upload and the error report.
    purged_at timestamptz,
    -- Runs that ended without finishing the job nor stopping at a shutdown (their instance died or
    -- lost its lease): two fail the job for good, so a file that crashes the service cannot do it
    -- in a loop.
    crashed_runs int NOT NULL DEFAULT 0,
    -- Errors past the report's cap (its last line says how many it leaves out).
    errors_omitted bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

-- The uploaded CSV as it arrived, in chunks of up to 1 MiB (seq from 0). Not large objects: the
-- application role would own them, and they are neither tenant-scoped nor distributable.
CREATE TABLE import_uploads (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    seq int NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (tenant_id, job_id, seq)
);

-- The error report: one row per invalid field of a row (the header is row 1).
CREATE TABLE import_errors (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    row_number bigint NOT NULL,
    seq int NOT NULL,
    field text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (tenant_id, job_id, row_number, seq)
);

-- Which jobs wait and who runs them: the one table not scoped to a tenant (job and tenant ids
-- only, so any instance can claim any job without seeing anybody's data). A runner claims the
-- oldest job nobody holds (FOR UPDATE SKIP LOCKED on this one table: legal on Citus, where it stays
-- a table of the coordinator) and holds it by a lease it renews after every batch; a runner that
-- crashed stops renewing, and its job is claimed again once the lease has run out. finished_at is
-- kept for retention.
CREATE TABLE import_queue (
    job_id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    lease_owner uuid,
    lease_until timestamptz,
    finished_at timestamptz
);
CREATE INDEX import_queue_waiting ON import_queue (enqueued_at) WHERE finished_at IS NULL;
CREATE INDEX import_queue_finished ON import_queue (finished_at) WHERE finished_at IS NOT NULL;

-- The change feed (API.md "Sync"; DESIGN.md "Changes and webhooks"): every write that changes a
-- contact records the change, in its own transaction (the outbox), and a reader hands out feed
-- positions only to changes whose transactions have committed.
--
-- Why positions are not taken at insert: a sequence value or a timestamp is taken while the
-- writer's transaction is still open, so a reader that has seen position 11 may later see 10
-- commit and never go back for it. Here a change is written without a position; the first reader
-- of the workspace's feed (a GET, a webhook feeder, the pruning) that finds changes without one
-- takes the workspace's feed row lock, and numbers, after the last number handed out, the changes
-- its statement sees committed. Readers of one workspace number one after another (the row
-- lock), so a number becomes visible only after every smaller one: following positions misses
-- nothing. A long transaction holds nothing back: its change is numbered when it commits, after
-- those numbered meanwhile. Positions are data in the tenant's rows, not node-local transaction
-- ids, so they move with the shards (Citus) and mean the same on every node.
--
-- One contact's changes come out in order: its updated_at only moves forward (next_microsecond),
-- a later change of a contact commits after the earlier one (the row lock), so any statement that
-- sees the later sees the earlier too, and a numbering orders by updated_at.
--
-- A change: the contact as GET returns it after the change (tags and metadata as stored), or for
-- a deletion its tombstone (phone, and the deletion's instant as updated_at). updated_at is also
-- the change's occurred_at, and with the contact's id it names the change (change_id).
CREATE TABLE contact_changes (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    -- The feed position, NULL until a reader numbers it (see above).
    position bigint,
    type text NOT NULL CHECK (type IN ('contact.created', 'contact.updated', 'contact.deleted')),
    contact_id uuid NOT NULL,
    phone text NOT NULL,
    name text,
    email text,
    tags text[],
    metadata jsonb,
    created_at timestamptz,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- The feed read, and pruning from the oldest. Numbered changes only: a write inserts its change
-- into the two indexes it needs, not three.
CREATE UNIQUE INDEX contact_changes_by_position ON contact_changes (tenant_id, position) WHERE position IS NOT NULL;
-- The changes still to number: a handful at any time (every read numbers them).
CREATE INDEX contact_changes_unnumbered ON contact_changes (tenant_id, updated_at, id) WHERE position IS NULL;

-- One row per workspace whose feed has been numbered: the last position handed out (its row lock
-- orders the numberings) and the last position pruned (a cursor before it has lost changes: 410).
CREATE TABLE change_feeds (
    tenant_id uuid PRIMARY KEY,
    last_position bigint NOT NULL DEFAULT 0,
    pruned_through bigint NOT NULL DEFAULT 0
);

-- Webhooks (API.md "Sync"; DESIGN.md "Changes and webhooks"): a workspace's endpoints, the queue
-- of deliveries, and the log of attempts. Deliveries are fed from the change feed by any instance,
-- and sent by any instance, each by one at a time: a lease on the delivery.
--
-- Not distributed on Citus: finding due deliveries crosses workspaces, which row-level security
-- and Citus (no multi-shard FOR UPDATE) forbid on tenant tables; these stay tables of the
-- coordinator, like the import queue, small and claimed with FOR UPDATE SKIP LOCKED. Rows are
-- still tenant rows under row-level security for the application role, not forced on the owner:
-- the functions that look across workspaces (what to feed, what is due, retention) run as the
-- owner and answer only what the sender needs.
--
-- An endpoint: where, which events, its secret (and the one it replaced, which keeps signing for
-- 24 hours), whether it is enabled, and how far the feed has been turned into its deliveries.
CREATE TABLE webhook_endpoints (
    tenant_id uuid NOT NULL,
    -- A ULID: the list is in creation order.
    id uuid NOT NULL,
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 3
        AND events <@ ARRAY['contact.created', 'contact.updated', 'contact.deleted']),
    description text CHECK (char_length(description) <= 1000),
    secret bytea NOT NULL CHECK (octet_length(secret) BETWEEN 24 AND 64),
    previous_secret bytea,
    previous_secret_until timestamptz,
    status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason text,
    -- The feed position up to which deliveries have been queued.
    fed_through bigint NOT NULL,
    -- Since when every attempt has failed (NULL after a success): 5 days of it disables.
    failing_since timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- One change to deliver to one endpoint. The body is fixed when queued, so every attempt sends
-- the same bytes (only webhook-timestamp and the signature change).
CREATE TABLE webhook_deliveries (
    tenant_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    change_id uuid NOT NULL,
    change_position bigint NOT NULL,
    body text NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    next_attempt_at timestamptz,
    -- Who is sending it now, until when: a sender that died stops holding it at lease_until.
    lease_owner uuid,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, endpoint_id, change_id)
);
-- An endpoint's next due deliveries, and those in flight (a lease is set while a sender holds
-- one): a claim probes each per endpoint, whatever its backlog.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (tenant_id, endpoint_id) WHERE lease_until IS NOT NULL;
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';

-- Every attempt, for the deliveries list (newest first).
CREATE TABLE webhook_attempts (
    tenant_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    -- A ULID: the list is newest first by id.
    id uuid NOT NULL,
    change_id uuid NOT NULL,
    attempt int NOT NULL,
    status_code int,
    error text,
    duration_ms int NOT NULL,
    next_attempt_at timestamptz,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, endpoint_id, id)
);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (attempted_at);

-- Only what the service needs: resolve a token to its workspace, the tenant tables, the queues.
GRANT USAGE ON SCHEMA public TO contacts_app;
GRANT SELECT (id, account_id, token_hash, revoked_at) ON api_tokens TO contacts_app;
GRANT SELECT (id, account_id) ON workspaces TO contacts_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts, tags, contact_tags, import_jobs, import_uploads, import_errors,
    import_queue, webhook_endpoints, webhook_deliveries TO contacts_app;
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO contacts_app;
-- The feed: the application role numbers (UPDATE) and records (INSERT); deleting is the owner's
-- pruning.
GRANT SELECT, INSERT, UPDATE ON contact_changes, change_feeds TO contacts_app;
-- The HTTP import COPYs rows in: it can neither read nor remove anybody's staged rows.
GRANT INSERT ON import_staging TO contacts_app;

-- Row-level security on every tenant table. A session without a tenant (never set, or set in an
-- earlier transaction, which reads back as '') gets NULL, so its statements see and touch no row
-- (fail closed). No subquery in a policy: Citus refuses them on distributed tables.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['contacts', 'tags', 'contact_tags', 'import_jobs', 'import_uploads', 'import_errors',
        'contact_changes', 'change_feeds', 'webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', v_table);
        -- EXECUTE, one statement at a time: Citus sends a policy to the workers as the text of the
        -- whole query it came in.
        EXECUTE format($policy$
            CREATE POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            $policy$, v_table);
    END LOOP;
END
$$;

-- On Citus: the tenant tables distributed by tenant_id and co-located (a tenant's rows on one
-- node), the account tables replicated to every node, the queues and webhooks kept on the
-- coordinator, the staging logged. All of it one transaction over one connection per node.
DO $$
DECLARE
    v_table text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM create_reference_table('accounts');
    PERFORM create_reference_table('workspaces');
    PERFORM create_reference_table('api_tokens');
    PERFORM create_distributed_table('contacts', 'tenant_id');
    FOREACH v_table IN ARRAY ARRAY['tags', 'contact_tags', 'import_staging', 'import_jobs', 'import_uploads',
        'import_errors', 'contact_changes', 'change_feeds'] LOOP
        PERFORM create_distributed_table(v_table, 'tenant_id', colocate_with := 'contacts');
    END LOOP;
    EXECUTE 'ALTER TABLE import_staging SET LOGGED';
    -- The tenant reaches the workers: SET LOCAL (not set_config) is forwarded to the nodes a
    -- transaction touches when this is 'local'.
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = local', current_database());
END
$$;

-- The keys, now that every table has its place.
-- (In a block: Citus sends a statement on a distributed table to its workers as the text of the
-- statement it came in, which outside a block is this whole file.)
DO $$
BEGIN
    ALTER TABLE workspaces ADD CONSTRAINT workspaces_account_id_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
    ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_account_id_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
    ALTER TABLE contacts ADD CONSTRAINT contacts_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE tags ADD CONSTRAINT tags_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE contact_tags ADD CONSTRAINT contact_tags_tenant_id_contact_id_fkey
        FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE contact_tags ADD CONSTRAINT contact_tags_tenant_id_tag_id_fkey
        FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE import_uploads ADD CONSTRAINT import_uploads_tenant_id_job_id_fkey
        FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE import_errors ADD CONSTRAINT import_errors_tenant_id_job_id_fkey
        FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE contact_changes ADD CONSTRAINT contact_changes_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE change_feeds ADD CONSTRAINT change_feeds_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_tenant_id_endpoint_id_fkey
        FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_tenant_id_endpoint_id_fkey
        FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE;
END
$$;

-- On one PostgreSQL: an endpoint goes with its workspace (on Citus a key from a coordinator table
-- to a reference table would turn it into a Citus table: there the rows of a deleted workspace
-- stay until its endpoints are deleted), and row-level security is forced on the owner too, on
-- every tenant table but the webhooks' (whose cross-workspace functions run as the owner). Not on
-- Citus: Citus applies the writes a moving shard receives as a role of its own that is a member of
-- the owner, and PostgreSQL refuses to replicate into a table whose row-level security applies to
-- that role (a shard written during its move never caught up: the move and the writes waited for
-- ever). What stays there: the application role is under row-level security on every shard, every
-- statement names its tenant, and the SECURITY DEFINER functions set the tenant and filter by it.
DO $$
DECLARE
    v_table text;
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    FOREACH v_table IN ARRAY ARRAY['contacts', 'tags', 'contact_tags', 'import_jobs', 'import_uploads', 'import_errors',
        'contact_changes', 'change_feeds'] LOOP
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', v_table);
    END LOOP;
END
$$;
