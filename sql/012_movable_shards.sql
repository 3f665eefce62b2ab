-- Shards that can move (README "When one PostgreSQL is not enough"; DESIGN.md "Growing a Citus
-- cluster"): the rebalancer moves a shard group online with logical replication, and Citus runs
-- part of every move (the foreign key checks on the new node, the cleanup of the old placement)
-- as the table owner, in a session of its own that has never heard of our tenant.

-- On Citus, every step over one connection per node (the policy and function changes reach the
-- workers; no effect on plain PostgreSQL).
SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true);

-- The tenant is read with NULLIF(current_setting('app.tenant_id', true), ''): a session without
-- one (never set, or set in an earlier transaction, which reads back as '') gets NULL, so its
-- statements see and touch no row (fail closed) instead of raising "unrecognized configuration
-- parameter". A move's foreign key checks on the new node run as the owner without a tenant, and
-- raised before.
DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['contacts', 'tags', 'contact_tags', 'import_jobs', 'import_uploads', 'import_errors'] LOOP
        -- EXECUTE, one statement at a time: Citus sends an ALTER POLICY to the workers as the
        -- text of the whole query it came in, here this whole file.
        EXECUTE format($policy$
            ALTER POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            $policy$, v_table);
    END LOOP;
END
$$;

-- On Citus, row-level security stops being forced on the owner. Citus applies the writes a
-- moving shard receives meanwhile as a role of its own that is a member of the table owner
-- (citus_shard_move_subscription_role_*), and PostgreSQL refuses to replicate into a table whose
-- row-level security applies to that role: with FORCE, a shard written during its move never
-- catches up, and the move and the writes to that shard wait for ever (measured: 10 minutes,
-- then stopped by hand). What stays: the application role is under row-level security on every
-- shard; every statement names its tenant; the three SECURITY DEFINER functions (the import's
-- staging) set the tenant and filter by it in every statement. On one PostgreSQL nothing moves,
-- and FORCE stays.
DO $$
DECLARE
    v_table text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    FOREACH v_table IN ARRAY ARRAY['contacts', 'tags', 'contact_tags', 'import_jobs', 'import_uploads', 'import_errors'] LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', v_table);
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

-- A write function sets its tenant with SET LOCAL rather than set_config(). Citus runs a call on
-- the node holding the tenant when it can; a call that reaches a node just after the tenant's
-- shards left it (a move switching over) runs there and sends its statements on to the new node,
-- and only a SET LOCAL (citus.propagate_set_commands = local) goes with them, and only when Citus
-- sees it run inside a query (a function called by a statement), not as a statement of the
-- function itself: hence this small function, called by PERFORM. With set_config() those
-- statements ran without a tenant, and, now that an unset tenant sees no rows, an update answered
-- 404 for a contact that exists and an insert was refused (measured under load during moves:
-- CitusGrowthTests). The write functions are redefined from their own text with that one line
-- changed: the rest of each stays as its migration wrote it.
CREATE FUNCTION set_tenant(p_tenant uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL app.tenant_id = %L', p_tenant);
END
$$;

DO $$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND p.prosrc LIKE '%PERFORM set_config(''app.tenant_id'', p_tenant::text, true);%'
    LOOP
        EXECUTE replace(pg_get_functiondef(v_function),
            'PERFORM set_config(''app.tenant_id'', p_tenant::text, true);', 'PERFORM set_tenant(p_tenant);');
    END LOOP;
    -- On every node, whichever runs the call (the database setting of 008 is the coordinator's).
    -- Citus's settings exist only where it is loaded.
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        EXECUTE 'ALTER FUNCTION set_tenant(uuid) SET citus.propagate_set_commands = local';
    END IF;
END
$$;
