-- Shards that can move (README "When one PostgreSQL is not enough"; DESIGN.md "Growing a Citus
-- cluster"): the rebalancer moves a shard group online with logical replication, and Citus runs
-- part of every move (the foreign key checks on the new node, the cleanup of the old placement)
-- as the table owner, in a session of its own that has never heard of our tenant.

-- The tenant is read with NULLIF(current_setting('app.tenant_id', true), ''): a session without
-- one (never set, or set in an earlier transaction, which reads back as '') gets NULL, so its
-- statements see and touch no row (fail closed) instead of raising "unrecognized configuration
-- parameter". A move's foreign key checks on the new node run as the owner without a tenant, and
-- raised before.
--
-- Except the owner's own sessions (session_user, not current_user: the SECURITY DEFINER functions
-- the application role calls run as the owner in the application's session, and stay scoped).
-- Without a tenant they read every row, as an owner does when row-level security is not forced:
-- a foreign key check on a moved shard is then a real check, and a move run by the owner instead
-- of a superuser fails loudly (PostgreSQL refuses the owner's COPY into a table with forced
-- row-level security) where a copy that saw no rows would have emptied every shard it moved.
-- Writes always name their tenant (WITH CHECK). The owner's name is written in here as the role
-- running the migration: the owner of every table.
DO $$
DECLARE
    v_table text;
    v_tenant constant text := $tenant$NULLIF(current_setting('app.tenant_id', true), '')$tenant$;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['contacts', 'tags', 'contact_tags', 'import_jobs', 'import_uploads', 'import_errors'] LOOP
        -- EXECUTE, one statement at a time: Citus sends an ALTER POLICY to the workers as the
        -- text of the whole query it came in, here this whole file.
        EXECUTE format(
            'ALTER POLICY tenant_isolation ON %I USING (tenant_id = %s::uuid OR (session_user = %L AND %s IS NULL))'
            ' WITH CHECK (tenant_id = %s::uuid)',
            v_table, v_tenant, current_user, v_tenant, v_tenant);
    END LOOP;
END
$$;

-- Logical replication needs a key to apply updates and deletes: a batch's rows are unique by
-- writer and row number (a writer stages one batch at a time, and removes it before the next).
-- The key replaces the index on (tenant_id, writer) it starts with.
ALTER TABLE import_staging ADD PRIMARY KEY (tenant_id, writer, row_number);
DO $$ BEGIN EXECUTE 'DROP INDEX import_staging_by_writer'; END $$;

-- PostgreSQL refuses unlogged tables in a publication, so on Citus the staging is logged (its
-- rows are written to the WAL twice, staged and removed: BENCHMARKS.md measures what an import
-- pays). On one PostgreSQL nothing moves, and staged rows stay out of the WAL.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        EXECUTE 'ALTER TABLE import_staging SET LOGGED';
    END IF;
END
$$;
