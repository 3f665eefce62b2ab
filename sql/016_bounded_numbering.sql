-- A numbering hands out at most 10,000 positions: right after an import of 1,000,000 contacts,
-- the first feed read (or export, or pruning) numbered every change in one statement, longer than
-- the statement timeout (a retention run failed with 57014 in make bench), so the read failed and
-- so did every read after it. The oldest unnumbered changes go first, in the same order as
-- before; the rest are numbered by the next reads, after them. A read asks for at most 1,000.
-- number_changes keeps its signature for its callers (read_changes, prune_changes) and calls
-- number_some_changes, which says how many it numbered; number_feed is the same as a call of its
-- own, with the tenant set, which an export repeats until the feed is numbered.
CREATE FUNCTION number_some_changes(p_tenant uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_last bigint;
    v_numbered bigint;
    v_ids uuid[];
    v_order jsonb;
BEGIN
    IF NOT EXISTS (SELECT FROM contact_changes ch WHERE ch.tenant_id = p_tenant AND ch.position IS NULL) THEN
        RETURN 0;
    END IF;
    -- The feed's row lock, held to the commit: the next numbering waits for this one to be
    -- visible. Its answer is the latest row, also after waiting for another numbering.
    INSERT INTO change_feeds AS f (tenant_id) VALUES (p_tenant)
    ON CONFLICT (tenant_id) DO UPDATE SET last_position = f.last_position
    RETURNING f.last_position INTO v_last;
    -- A new statement, a new snapshot: what the numbering before this one handed out is seen.
    -- The ids in order first, then one update whose only use of them is an index condition on
    -- the key, each position looked up in a jsonb object (a binary search): a join of the list
    -- with the changes is planned from statistics, which right after a large import say the
    -- workspace has a row or two, and the planner then walked all its changes once per change
    -- (an export of 1,000,000 imported contacts ran its first numbering for 9 minutes). One
    -- update by key per change instead was fine on one PostgreSQL and slow on Citus (a planned
    -- distributed statement each).
    SELECT coalesce(array_agg(w.id ORDER BY w.n), '{}'), coalesce(jsonb_object_agg(w.id::text, w.n), '{}')
    INTO v_ids, v_order
    FROM (
        SELECT u.id, row_number() OVER (ORDER BY u.updated_at, u.id) AS n
        FROM (
            SELECT u.id, u.updated_at FROM contact_changes u
            WHERE u.tenant_id = p_tenant AND u.position IS NULL
            ORDER BY u.updated_at, u.id LIMIT 10000
        ) AS u
    ) AS w;
    UPDATE contact_changes ch SET position = v_last + (v_order ->> ch.id::text)::bigint
    WHERE ch.tenant_id = p_tenant AND ch.id = ANY (v_ids);
    v_numbered := cardinality(v_ids);
    UPDATE change_feeds f SET last_position = v_last + v_numbered WHERE f.tenant_id = p_tenant;
    RETURN v_numbered;
END
$$;

CREATE OR REPLACE FUNCTION number_changes(p_tenant uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM number_some_changes(p_tenant);
END
$$;

CREATE FUNCTION number_feed(p_tenant uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_tenant(p_tenant);
    RETURN number_some_changes(p_tenant);
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_function('number_feed(uuid)', 'p_tenant', colocate_with := 'contacts');
    END IF;
END
$$;
