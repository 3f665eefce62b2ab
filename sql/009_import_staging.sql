-- The CSV import's staging, shared by every import and legal on Citus: a writer COPYs a batch
-- into import_staging under its own key (tenant, writer), then one call of
-- import_staged_contacts(tenant, writer) upserts the batch set-wise and removes it, in one
-- transaction. It was a temporary table of the writer's session: on Citus the write must run on
-- the tenant's worker (a delegated call), and a worker cannot see a coordinator's temporary table;
-- here the staged rows live in the same shard group as the tenant's contacts.
--
-- Unlogged: staged rows are worth nothing after a crash (the import is run again). No row-level
-- security and no grant to the application role: only the owner, who runs imports, reads or
-- writes it (PostgreSQL and Citus refuse COPY into a table under row-level security).
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
    staged_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_staging_by_writer ON import_staging (tenant_id, writer);

-- One staged batch: the last row of each phone wins; an unchanged contact is not rewritten; tags
-- created; links replaced set-wise for each phone's last row (a contact whose links changed and
-- that the upsert did not rewrite gets its updated_at moved); then the batch is removed. Every
-- step is driven by the batch (joins on phone and contact id, which the planner turns into index
-- lookups), never by a scan of the tenant's contacts or links, so a batch costs the same at 1 or
-- 1,000,000 contacts. (`= ANY (ARRAY(subquery))` filters were written here before: with the
-- staging table's statistics the planner applied them to a scan of the whole tenant, once per
-- staged row.) Answers how many contacts were created and updated, and how many phones the batch had.
CREATE FUNCTION import_staged_contacts(p_tenant uuid, p_writer uuid)
RETURNS TABLE (created bigint, updated bigint, phones bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- Sorts and hashes of a 20,000-row batch fit in memory instead of spilling to disk.
    PERFORM set_config('work_mem', '64MB', true);

    RETURN QUERY
    WITH latest AS (
        SELECT DISTINCT ON (s.phone) s.tenant_id, s.id, s.phone, s.name, s.email, s.metadata
        FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer
        ORDER BY s.phone, s.row_number DESC
    ), written AS (
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata, created_at, updated_at)
        SELECT latest.tenant_id, latest.id, latest.phone, latest.name, latest.email, latest.metadata, v_now, v_now
        FROM latest ORDER BY latest.phone
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
            updated_at = greatest(v_now, next_microsecond(c.updated_at))
        WHERE (c.name, c.email, c.metadata) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.metadata)
        RETURNING (c.xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE written.inserted), count(*) FILTER (WHERE NOT written.inserted),
           (SELECT count(*) FROM latest)
    FROM written;

    INSERT INTO tags (tenant_id, name)
    SELECT DISTINCT p_tenant, tag
    FROM import_staging s, unnest(s.tags) AS tag
    WHERE s.tenant_id = p_tenant AND s.writer = p_writer
    ORDER BY 2
    ON CONFLICT (tenant_id, name) DO NOTHING;

    WITH latest AS (
        SELECT DISTINCT ON (s.phone) s.id, s.phone, s.tags
        FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer
        ORDER BY s.phone, s.row_number DESC
    ), contact AS MATERIALIZED (
        SELECT c.id, latest.tags, c.id = latest.id AS inserted
        FROM latest JOIN contacts c ON c.tenant_id = p_tenant AND c.phone = latest.phone
    ), given AS MATERIALIZED (
        SELECT contact.id, contact.inserted, g.name, g.position
        FROM contact, unnest(contact.tags) WITH ORDINALITY AS g(name, position)
    ), wanted AS MATERIALIZED (
        SELECT given.id AS contact_id, t.id AS tag_id, given.position::smallint AS position, given.inserted
        FROM given JOIN tags t ON t.name = given.name
        WHERE t.tenant_id = p_tenant
    ), removed AS (
        DELETE FROM contact_tags ct
        WHERE ct.tenant_id = p_tenant AND ct.contact_id IN (SELECT contact.id FROM contact WHERE NOT contact.inserted)
          AND (ct.contact_id, ct.tag_id) NOT IN (SELECT wanted.contact_id, wanted.tag_id FROM wanted WHERE NOT wanted.inserted)
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
    )
    UPDATE contacts c SET updated_at = greatest(v_now, next_microsecond(c.updated_at))
    WHERE c.tenant_id = p_tenant
      AND c.id IN (SELECT removed.contact_id FROM removed UNION SELECT relinked.contact_id FROM relinked)
      AND c.updated_at < v_now;

    DELETE FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM create_distributed_table('import_staging', 'tenant_id', colocate_with := 'contacts');
    PERFORM create_distributed_function('import_staged_contacts(uuid,uuid)', 'p_tenant', colocate_with := 'contacts');
END
$$;
