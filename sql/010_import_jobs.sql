-- Import jobs over HTTP (API.md, "Bulk over HTTP"): a job, its upload and its error report are
-- tenant rows (forced row-level security; distributed with the contacts on Citus). The queue of
-- jobs to run is the one table that is not scoped to a tenant: it names job and tenant ids only,
-- so any instance can claim any job without seeing anybody's data.

-- On Citus, every step of this migration over one connection per node (its grants and function
-- changes reach the workers; a setting of no effect on plain PostgreSQL).
SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true);

-- Its key to workspaces comes at the end: on Citus a table with a key to a reference table
-- becomes a Citus table at once, before it is distributed.
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
    PRIMARY KEY (tenant_id, id)
);

-- The uploaded CSV as it arrived, in chunks of up to 1 MiB (seq from 0). Not large objects: the
-- application role would own them, and they are neither tenant-scoped nor distributable.
CREATE TABLE import_uploads (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    seq int NOT NULL CHECK (seq >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (tenant_id, job_id, seq),
    FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE
);

-- The error report: one row per invalid field of a row (the header is row 1).
CREATE TABLE import_errors (
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    row_number bigint NOT NULL,
    seq int NOT NULL,
    field text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (tenant_id, job_id, row_number, seq),
    FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE import_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_jobs
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
ALTER TABLE import_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_uploads
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
ALTER TABLE import_errors ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_errors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON import_errors
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);

-- Which jobs wait and who runs them. A runner claims the oldest job nobody holds (FOR UPDATE SKIP
-- LOCKED on this one table: legal on Citus, where it stays a table of the coordinator) and holds
-- it by a lease it renews after every batch; a runner that crashed stops renewing, and its job is
-- claimed again once the lease has run out. finished_at is kept for retention.
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

GRANT SELECT, INSERT, UPDATE, DELETE ON import_jobs, import_uploads, import_errors, import_queue TO contacts_app;

-- The HTTP import runs as the application role, through the same staging as the CLI: the role may
-- COPY rows in (INSERT only: it can neither read nor remove anybody's staged rows), and the
-- functions that read and remove a batch run as the owner, each limited to its (tenant, writer).
-- (In a DO block, here and for the DROP below: Citus sends each of these to its workers as the
-- text of the statement it runs, which outside a block is this whole file.)
DO $$ BEGIN GRANT INSERT ON import_staging TO contacts_app; END $$;

-- import_staged_contacts, as migration 009 wrote it but for two things:
-- - it answers which phones it created and updated (not only how many), so an import can count
--   each phone once by what its last row did, also when a phone comes back in a later batch; a
--   contact whose only change is its links counts as updated;
-- - it is told which columns the file has (API.md): an absent column leaves that field of an
--   existing contact alone (an empty cell, staged as NULL or no tags, clears it).
DO $$ BEGIN DROP FUNCTION import_staged_contacts(uuid, uuid); END $$;
CREATE FUNCTION import_staged_contacts(
    p_tenant uuid, p_writer uuid, p_has_name boolean, p_has_email boolean, p_has_tags boolean, p_has_metadata boolean)
RETURNS TABLE (created_phones text[], updated_phones text[], phones bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
    v_created text[];
    v_updated text[];
    v_relinked text[];
    v_phones bigint;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- Sorts and hashes of a 20,000-row batch fit in memory instead of spilling to disk.
    PERFORM set_config('work_mem', '64MB', true);
    -- Planned generically on one PostgreSQL: a custom plan estimates the rows of `tenant_id =
    -- <this tenant>` from the statistics, and for a workspace they do not know yet (its first
    -- import, on a database shared with larger tenants) that is one row, whatever it holds by
    -- now; the planner then read all its contacts once per staged row (31 to 50 s for one batch
    -- of 20,000 at 100,000 contacts, measured). A generic plan estimates an average tenant.
    -- Citus plans only with the values (it refuses a generic plan of a distributed table).
    IF current_setting('citus.version', true) IS NULL THEN
        PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
    END IF;

    WITH latest AS (
        SELECT DISTINCT ON (s.phone) s.tenant_id, s.id, s.phone, s.name, s.email, s.metadata
        FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer
        ORDER BY s.phone, s.row_number DESC
    ), written AS (
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata, created_at, updated_at)
        SELECT latest.tenant_id, latest.id, latest.phone, latest.name, latest.email, latest.metadata, v_now, v_now
        FROM latest ORDER BY latest.phone
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = CASE WHEN p_has_name THEN EXCLUDED.name ELSE c.name END,
            email = CASE WHEN p_has_email THEN EXCLUDED.email ELSE c.email END,
            metadata = CASE WHEN p_has_metadata THEN EXCLUDED.metadata ELSE c.metadata END,
            updated_at = greatest(v_now, next_microsecond(c.updated_at))
        WHERE (p_has_name AND c.name IS DISTINCT FROM EXCLUDED.name)
           OR (p_has_email AND c.email IS DISTINCT FROM EXCLUDED.email)
           -- As text, as upsert_contacts compares (007): jsonb's = finds 1.0 and 1.00 equal.
           OR (p_has_metadata AND c.metadata::text IS DISTINCT FROM EXCLUDED.metadata::text)
        RETURNING c.phone, (c.xmax = 0) AS inserted
    )
    SELECT coalesce(array_agg(written.phone) FILTER (WHERE written.inserted), '{}'),
           coalesce(array_agg(written.phone) FILTER (WHERE NOT written.inserted), '{}'),
           (SELECT count(*) FROM latest)
    INTO v_created, v_updated, v_phones
    FROM written;

    INSERT INTO tags (tenant_id, name)
    SELECT DISTINCT p_tenant, tag
    FROM import_staging s, unnest(s.tags) AS tag
    WHERE s.tenant_id = p_tenant AND s.writer = p_writer
    ORDER BY 2
    ON CONFLICT (tenant_id, name) DO NOTHING;

    -- Links, as in 009. A contact whose only change is its links was not rewritten above: its
    -- updated_at moves here, and it counts as updated.
    WITH latest AS (
        SELECT DISTINCT ON (s.phone) s.id, s.phone, s.tags
        FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer
        ORDER BY s.phone, s.row_number DESC
    -- Every lookup below is a probe per staged phone or contact (LATERAL), never a join the
    -- planner may turn into a scan of the tenant's rows.
    ), contact AS MATERIALIZED (
        SELECT c.id, latest.tags, c.id = latest.id AS inserted
        FROM latest CROSS JOIN LATERAL (
            SELECT found.id FROM contacts found WHERE found.tenant_id = p_tenant AND found.phone = latest.phone LIMIT 1
        ) c
        -- Without a tags column, only new contacts get links (none).
        WHERE p_has_tags OR c.id = latest.id
    ), given AS MATERIALIZED (
        SELECT contact.id, contact.inserted, g.name, g.position
        FROM contact, unnest(contact.tags) WITH ORDINALITY AS g(name, position)
    ), wanted AS MATERIALIZED (
        SELECT given.id AS contact_id, t.id AS tag_id, given.position::smallint AS position, given.inserted
        FROM given JOIN tags t ON t.name = given.name
        WHERE t.tenant_id = p_tenant
    ), unwanted AS MATERIALIZED (
        SELECT link.contact_id, link.tag_id
        FROM contact CROSS JOIN LATERAL (
            SELECT l.contact_id, l.tag_id FROM contact_tags l WHERE l.tenant_id = p_tenant AND l.contact_id = contact.id
        ) link
        WHERE NOT contact.inserted
          AND (link.contact_id, link.tag_id) NOT IN (SELECT wanted.contact_id, wanted.tag_id FROM wanted WHERE NOT wanted.inserted)
    ), removed AS (
        DELETE FROM contact_tags ct USING unwanted
        WHERE ct.tenant_id = p_tenant AND ct.contact_id = unwanted.contact_id AND ct.tag_id = unwanted.tag_id
        RETURNING ct.contact_id
    ), added AS (
        INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
        SELECT p_tenant, wanted.contact_id, wanted.tag_id, wanted.position FROM wanted WHERE wanted.inserted
    ), relinked AS (
        INSERT INTO contact_tags AS ct (tenant_id, contact_id, tag_id, position)
        SELECT p_tenant, wanted.contact_id, wanted.tag_id, wanted.position FROM wanted WHERE NOT wanted.inserted
        ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
        WHERE ct.position <> EXCLUDED.position
        RETURNING ct.contact_id
    ), changed AS MATERIALIZED (
        SELECT removed.contact_id FROM removed UNION SELECT relinked.contact_id FROM relinked
    ), touched AS (
        UPDATE contacts c SET updated_at = greatest(v_now, next_microsecond(c.updated_at))
        FROM changed
        WHERE c.tenant_id = p_tenant AND c.id = changed.contact_id AND c.updated_at < v_now
        RETURNING c.phone
    )
    SELECT coalesce(array_agg(touched.phone), '{}') INTO v_relinked FROM touched;

    DELETE FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer;
    RETURN QUERY SELECT v_created, v_updated || v_relinked, v_phones;
END
$$;

-- A batch whose write failed, and rows left by an import that died between its COPY and its call
-- (no import holds a batch for an hour): removed as the owner, limited to the caller's tenant.
CREATE FUNCTION discard_staged_batch(p_tenant uuid, p_writer uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM import_staging WHERE tenant_id = p_tenant AND writer = p_writer;
$$;
CREATE FUNCTION discard_abandoned_staging(p_tenant uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM import_staging WHERE tenant_id = p_tenant AND staged_at < now() - interval '1 hour';
$$;
REVOKE EXECUTE ON FUNCTION import_staged_contacts(uuid, uuid, boolean, boolean, boolean, boolean),
    discard_staged_batch(uuid, uuid), discard_abandoned_staging(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import_staged_contacts(uuid, uuid, boolean, boolean, boolean, boolean),
    discard_staged_batch(uuid, uuid), discard_abandoned_staging(uuid) TO contacts_app;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        -- Checking the new key reads the table as the owner: forced row-level security would ask
        -- for a tenant.
        ALTER TABLE import_jobs NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_tenant_id_fkey
            FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
        ALTER TABLE import_jobs FORCE ROW LEVEL SECURITY;
        RETURN;
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- As in 008: the keys to tables not yet distributed come off, and forced row-level security
    -- is lifted while Citus checks them.
    ALTER TABLE import_jobs NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE import_uploads NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE import_errors NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE import_uploads DROP CONSTRAINT import_uploads_tenant_id_job_id_fkey;
    ALTER TABLE import_errors DROP CONSTRAINT import_errors_tenant_id_job_id_fkey;
    PERFORM create_distributed_table('import_jobs', 'tenant_id', colocate_with := 'contacts');
    PERFORM create_distributed_table('import_uploads', 'tenant_id', colocate_with := 'contacts');
    PERFORM create_distributed_table('import_errors', 'tenant_id', colocate_with := 'contacts');
    ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE import_uploads ADD CONSTRAINT import_uploads_tenant_id_job_id_fkey
        FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE import_errors ADD CONSTRAINT import_errors_tenant_id_job_id_fkey
        FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE import_jobs FORCE ROW LEVEL SECURITY;
    ALTER TABLE import_uploads FORCE ROW LEVEL SECURITY;
    ALTER TABLE import_errors FORCE ROW LEVEL SECURITY;
    PERFORM create_distributed_function('import_staged_contacts(uuid,uuid,boolean,boolean,boolean,boolean)', 'p_tenant',
        colocate_with := 'contacts');
    PERFORM create_distributed_function('discard_staged_batch(uuid,uuid)', 'p_tenant', colocate_with := 'contacts');
    PERFORM create_distributed_function('discard_abandoned_staging(uuid)', 'p_tenant', colocate_with := 'contacts');
END
$$;
