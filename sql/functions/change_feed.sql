-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- The change feed (API.md "Sync"; DESIGN.md "Changes and webhooks"; the tables and why positions
-- are handed out by readers: sql/migrations/017_baseline.sql).

-- A change's id: the milliseconds of the contact's updated_at, then a digest of the contact and
-- that instant, which no two changes share (a contact's updated_at only moves forward). Time
-- first, so that changes are appended at the end of the key's index rather than anywhere in it.
-- SQL and IMMUTABLE: inlined into the statement that calls it, and run by Citus on the shard (a
-- volatile id generator is refused in a distributed INSERT … SELECT).
CREATE OR REPLACE FUNCTION change_id(p_contact uuid, p_at timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM p_at AT TIME ZONE 'UTC') * 1000)::bigint), 12, '0')
            || substr(md5(p_contact::text || '@' || (extract(epoch FROM p_at AT TIME ZONE 'UTC') * 1000000)::bigint::text), 13))::uuid
$$;

-- Records the change of one contact that the caller just wrote, whose tags it knows (create-contact
-- and update-contact: reading them again was a third of what recording cost).
CREATE OR REPLACE FUNCTION record_contact_change(p_tenant uuid, p_contact uuid, p_created boolean, p_tags text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, name, email, tags, metadata, created_at, updated_at)
    SELECT c.tenant_id, change_id(c.id, c.updated_at), CASE WHEN p_created THEN 'contact.created' ELSE 'contact.updated' END,
           c.id, c.phone, c.name, c.email, p_tags, c.metadata, c.created_at, c.updated_at
    FROM contacts c
    WHERE c.tenant_id = p_tenant AND c.id = p_contact
    -- The same (contact, updated_at) is the same change: recorded once. On Citus, under load
    -- while a workspace's shards were split and moved, a second insert of an existing change
    -- was seen (CitusGrowthTests; BENCHMARKS.md "Sync"), and must not fail the write.
    ON CONFLICT (tenant_id, id) DO NOTHING;
END
$$;

-- Recording a batch's changes cost time quadratic in its size: an import batch of 20,000 rows
-- spent 7 s telling created from updated contacts (each row tested against the whole array of
-- created phones, `= ANY` and `<> ALL` on a parameter) and 1.2 s more in record_contact_changes
-- (each row's `CASE WHEN id = ANY (p_created)`), against 1.2 s for the writes themselves
-- (auto_explain, make bench's import at 3,400 rows/s instead of 22,000). Now each array is only
-- ever an index condition or the outer side of a join: linear.
--
-- Callers pass disjoint arrays (a contact is created or updated by a call, not both); a repeated
-- id is recorded once (ON CONFLICT DO NOTHING on the change id). Each array is the index condition
-- of its own statement: a join of the arrays with the contacts is planned from statistics, which
-- right after a large import say the workspace has a row or two, and the planner then walked every
-- contact of the workspace once per id.
CREATE OR REPLACE FUNCTION record_contact_changes(p_tenant uuid, p_created uuid[], p_updated uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_ids uuid[];
    v_type text;
BEGIN
    FOR v_ids, v_type IN VALUES (p_created, 'contact.created'), (p_updated, 'contact.updated') LOOP
        CONTINUE WHEN cardinality(v_ids) = 0;
        INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, name, email, tags, metadata, created_at, updated_at)
        SELECT c.tenant_id, change_id(c.id, c.updated_at), v_type,
               c.id, c.phone, c.name, c.email, coalesce(linked.tags, '{}'), c.metadata, c.created_at, c.updated_at
        FROM contacts c
        LEFT JOIN LATERAL (
            SELECT array_agg(t.name ORDER BY ct.position) AS tags
            FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
            WHERE ct.tenant_id = p_tenant AND ct.contact_id = c.id
        ) AS linked ON true
        WHERE c.tenant_id = p_tenant AND c.id = ANY (v_ids)
        ON CONFLICT (tenant_id, id) DO NOTHING;
    END LOOP;
END
$$;

-- A numbering hands out at most 10,000 positions: right after an import of 1,000,000 contacts,
-- the first feed read (or export, or pruning) numbered every change in one statement, longer than
-- the statement timeout (a retention run failed with 57014 in make bench), so the read failed and
-- so did every read after it. The oldest unnumbered changes go first, in the same order as
-- before; the rest are numbered by the next reads, after them. A read asks for at most 1,000.
-- number_changes keeps its signature for its callers (read_changes, prune_changes) and calls
-- number_some_changes, which says how many it numbered; number_feed is the same as a call of its
-- own, with the tenant set, which an export repeats until the feed is numbered.
CREATE OR REPLACE FUNCTION number_some_changes(p_tenant uuid) RETURNS bigint
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

CREATE OR REPLACE FUNCTION number_feed(p_tenant uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_tenant(p_tenant);
    RETURN number_some_changes(p_tenant);
END
$$;

-- One page of the feed after p_after (NULL: from the oldest kept), numbering first. A cursor
-- before the last pruned position has lost changes: SQLSTATE CF410 (the API's 410). Changes in
-- p_exclude (an export's snapshot showed them) come back flagged, so the cursor moves past them.
CREATE OR REPLACE FUNCTION read_changes(p_tenant uuid, p_after bigint, p_limit int, p_exclude uuid[])
RETURNS TABLE (
    change_position bigint, id uuid, type text, contact_id uuid, phone text, name text, email text, tags text[],
    metadata text, created_at timestamptz, updated_at timestamptz, in_snapshot boolean
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_pruned bigint;
BEGIN
    PERFORM set_tenant(p_tenant);
    PERFORM number_changes(p_tenant);
    SELECT f.pruned_through INTO v_pruned FROM change_feeds f WHERE f.tenant_id = p_tenant;
    v_pruned := coalesce(v_pruned, 0);
    IF p_after < v_pruned THEN
        RAISE EXCEPTION 'changes after position % have been pruned', p_after USING ERRCODE = 'CF410';
    END IF;
    RETURN QUERY
    SELECT ch.position, ch.id, ch.type, ch.contact_id, ch.phone, ch.name, ch.email, ch.tags, ch.metadata::text,
           ch.created_at, ch.updated_at, ch.id = ANY (p_exclude)
    FROM contact_changes ch
    WHERE ch.tenant_id = p_tenant AND ch.position > coalesce(p_after, v_pruned)
    ORDER BY ch.position
    LIMIT p_limit;
END
$$;

-- Of the workspaces given, with the position each waiting client has seen, those whose feed has
-- more: one statement per instance and second for every long poll it holds (the one shared
-- check of DESIGN.md), whichever workspaces they are in. As the owner, one workspace at a time,
-- each with its tenant set; answers only ids.
CREATE OR REPLACE FUNCTION feeds_with_changes(p_tenants uuid[], p_after bigint[]) RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i int;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(p_tenants), 0) LOOP
        PERFORM set_tenant(p_tenants[i]);
        IF EXISTS (SELECT FROM contact_changes ch WHERE ch.tenant_id = p_tenants[i] AND ch.position IS NULL)
           OR EXISTS (SELECT FROM change_feeds f WHERE f.tenant_id = p_tenants[i] AND f.last_position > p_after[i]) THEN
            RETURN NEXT p_tenants[i];
        END IF;
    END LOOP;
END
$$;

-- Retention: the workspace's changes older than p_before, oldest first, in batches of 5,000 rows
-- (each batch its own short lock on the feed row), the pruned position recorded so that a cursor
-- before it is told (410). Numbers first: a change nobody read is pruned too. Answers how many.
CREATE OR REPLACE FUNCTION prune_changes(p_tenant uuid, p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_through bigint;
    v_deleted bigint;
BEGIN
    PERFORM set_tenant(p_tenant);
    PERFORM number_changes(p_tenant);
    SELECT max(oldest.position) INTO v_through
    FROM (
        SELECT ch.position, ch.updated_at FROM contact_changes ch
        WHERE ch.tenant_id = p_tenant AND ch.position > 0
        ORDER BY ch.position LIMIT 5000
    ) AS oldest
    WHERE oldest.updated_at < p_before;
    IF v_through IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE change_feeds f SET pruned_through = greatest(f.pruned_through, v_through) WHERE f.tenant_id = p_tenant;
    DELETE FROM contact_changes ch WHERE ch.tenant_id = p_tenant AND ch.position <= v_through;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

REVOKE EXECUTE ON FUNCTION feeds_with_changes(uuid[], bigint[]), prune_changes(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION feeds_with_changes(uuid[], bigint[]), prune_changes(uuid, timestamptz) TO contacts_app;
