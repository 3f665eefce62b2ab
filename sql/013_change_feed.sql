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
-- One contact's changes come out in order: its updated_at only moves forward (next_microsecond,
-- migration 007), a later change of a contact commits after the earlier one (the row lock), so
-- any statement that sees the later sees the earlier too, and a numbering orders by updated_at.

-- On Citus, every step over one connection per node.
SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true);

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
-- The changes still to number: a handful at any time (every read numbers them all).
CREATE INDEX contact_changes_unnumbered ON contact_changes (tenant_id, updated_at, id) WHERE position IS NULL;

-- One row per workspace whose feed has been numbered: the last position handed out (its row lock
-- orders the numberings) and the last position pruned (a cursor before it has lost changes: 410).
CREATE TABLE change_feeds (
    tenant_id uuid PRIMARY KEY,
    last_position bigint NOT NULL DEFAULT 0,
    pruned_through bigint NOT NULL DEFAULT 0
);

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['contact_changes', 'change_feeds'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format($policy$
            CREATE POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            $policy$, v_table);
        -- Forced on one PostgreSQL, as every tenant table (012 says why not on Citus).
        IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
            EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', v_table);
        END IF;
    END LOOP;
END
$$;
-- The application role numbers (UPDATE) and records (INSERT); deleting is the owner's pruning.
GRANT SELECT, INSERT, UPDATE ON contact_changes, change_feeds TO contacts_app;

-- A change's id: the milliseconds of the contact's updated_at, then a digest of the contact and
-- that instant, which no two changes share (a contact's updated_at only moves forward). Time
-- first, so that changes are appended at the end of the key's index rather than anywhere in it.
-- SQL and IMMUTABLE: inlined into the statement that calls it, and run by Citus on the shard (a
-- volatile id generator is refused in a distributed INSERT … SELECT).
CREATE FUNCTION change_id(p_contact uuid, p_at timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM p_at AT TIME ZONE 'UTC') * 1000)::bigint), 12, '0')
            || substr(md5(p_contact::text || '@' || (extract(epoch FROM p_at AT TIME ZONE 'UTC') * 1000000)::bigint::text), 13))::uuid
$$;

-- Records the change of one contact that the caller just wrote, whose tags it knows (create-contact
-- and update-contact: reading them again was a third of what recording cost).
CREATE FUNCTION record_contact_change(p_tenant uuid, p_contact uuid, p_created boolean, p_tags text[]) RETURNS void
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

-- Records the changes of the contacts this transaction created and updated, each with its state
-- now (its final state when the transaction changed it more than once), tags read back. Called by
-- the batch and import functions once they have written, with the tenant set.
CREATE FUNCTION record_contact_changes(p_tenant uuid, p_created uuid[], p_updated uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_created) + cardinality(p_updated) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, name, email, tags, metadata, created_at, updated_at)
    SELECT c.tenant_id, change_id(c.id, c.updated_at),
           CASE WHEN c.id = ANY (p_created) THEN 'contact.created' ELSE 'contact.updated' END,
           c.id, c.phone, c.name, c.email, coalesce(linked.tags, '{}'), c.metadata, c.created_at, c.updated_at
    FROM contacts c
    LEFT JOIN LATERAL (
        SELECT array_agg(t.name ORDER BY ct.position) AS tags
        FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
        WHERE ct.tenant_id = p_tenant AND ct.contact_id = c.id
    ) AS linked ON true
    WHERE c.tenant_id = p_tenant AND c.id = ANY (p_created || p_updated)
    ON CONFLICT (tenant_id, id) DO NOTHING;
END
$$;

-- Numbers the workspace's committed changes that have no position yet (see the top of this file).
-- Cheap when there are none: one probe of the partial index.
CREATE FUNCTION number_changes(p_tenant uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_last bigint;
    v_numbered bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM contact_changes ch WHERE ch.tenant_id = p_tenant AND ch.position IS NULL) THEN
        RETURN;
    END IF;
    -- The feed's row lock, held to the commit: the next numbering waits for this one to be
    -- visible. Its answer is the latest row, also after waiting for another numbering.
    INSERT INTO change_feeds AS f (tenant_id) VALUES (p_tenant)
    ON CONFLICT (tenant_id) DO UPDATE SET last_position = f.last_position
    RETURNING f.last_position INTO v_last;
    -- A new statement, a new snapshot: what the numbering before this one handed out is seen.
    UPDATE contact_changes ch SET position = v_last + waiting.n
    FROM (
        SELECT u.id, row_number() OVER (ORDER BY u.updated_at, u.id) AS n
        FROM contact_changes u WHERE u.tenant_id = p_tenant AND u.position IS NULL
    ) AS waiting
    WHERE ch.tenant_id = p_tenant AND ch.id = waiting.id;
    GET DIAGNOSTICS v_numbered = ROW_COUNT;
    UPDATE change_feeds f SET last_position = v_last + v_numbered WHERE f.tenant_id = p_tenant;
END
$$;

-- One page of the feed after p_after (NULL: from the oldest kept), numbering first. A cursor
-- before the last pruned position has lost changes: SQLSTATE CF410 (the API's 410). Changes in
-- p_exclude (an export's snapshot showed them) come back flagged, so the cursor moves past them.
CREATE FUNCTION read_changes(p_tenant uuid, p_after bigint, p_limit int, p_exclude uuid[])
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
CREATE FUNCTION feeds_with_changes(p_tenants uuid[], p_after bigint[]) RETURNS SETOF uuid
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
CREATE FUNCTION prune_changes(p_tenant uuid, p_before timestamptz) RETURNS bigint
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

-- delete-contact as one call: the row, its links (ON DELETE CASCADE) and its tombstone, whose
-- instant is after the contact's last updated_at whatever the clocks say. By phone, by id, or both
-- (the contact must match both).
CREATE FUNCTION delete_contact(p_tenant uuid, p_phone text, p_id uuid) RETURNS TABLE (id uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_phone text;
    v_updated timestamptz;
    v_deleted timestamptz;
BEGIN
    PERFORM set_tenant(p_tenant);
    DELETE FROM contacts c
    WHERE c.tenant_id = p_tenant AND (p_phone IS NULL OR c.phone = p_phone) AND (p_id IS NULL OR c.id = p_id)
      AND (p_phone IS NOT NULL OR p_id IS NOT NULL)
    RETURNING c.id, c.phone, c.updated_at INTO v_id, v_phone, v_updated;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_deleted := greatest(now(), next_microsecond(v_updated));
    INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, updated_at)
    VALUES (p_tenant, change_id(v_id, v_deleted), 'contact.deleted', v_id, v_phone, v_deleted)
    ON CONFLICT (tenant_id, id) DO NOTHING;
    RETURN QUERY SELECT v_id;
END
$$;

-- The write functions record their changes: each is changed in place by one small edit of its
-- text (the rest stays as its migration wrote it), and an edit that does not find its text
-- stops the migration.
CREATE FUNCTION pg_temp.edit_function(p_function regprocedure, p_edits text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_text text := pg_get_functiondef(p_function);
    i int;
BEGIN
    FOR i IN 1 .. cardinality(p_edits) BY 2 LOOP
        IF array_length(string_to_array(v_text, p_edits[i]), 1) <> 2 THEN
            RAISE EXCEPTION 'editing %: the text to replace is not there exactly once: %', p_function, p_edits[i];
        END IF;
        v_text := replace(v_text, p_edits[i], p_edits[i + 1]);
    END LOOP;
    EXECUTE v_text;
END
$$;

DO $edits$
BEGIN
    -- create-contact: one change when it inserted, rewrote or relinked the contact.
    PERFORM pg_temp.edit_function('upsert_contact(uuid,uuid,text,text,text,jsonb,text[])', ARRAY[
        E'    RETURN QUERY\n',
        E'    IF v_inserted OR v_touched OR v_tags_changed THEN\n'
        -- Its tags are p_tags: written so, or found equal to them.
        || E'        PERFORM record_contact_change(p_tenant, v_id, v_inserted, p_tags);\n'
        || E'    END IF;\n    RETURN QUERY\n']);

    -- update-contact: one change when a field or the tags changed.
    PERFORM pg_temp.edit_function(
        'update_contact(uuid,text,boolean,text,boolean,text,text,jsonb,boolean,text[],text[],text[])', ARRAY[
        E'    RETURN QUERY\n',
        E'    IF v_changed OR v_tags_changed THEN\n'
        -- Its tags are v_final, read or computed by then.
        || E'        PERFORM record_contact_change(p_tenant, v_id, false, v_final);\n'
        || E'    END IF;\n    RETURN QUERY\n']);

    -- create-contacts: the contacts the upsert inserted or rewrote, and those whose links alone
    -- changed, each once with its final state.
    PERFORM pg_temp.edit_function(
        'upsert_contacts(uuid,uuid[],text[],text[],text[],jsonb[],int[],text[],int[],text[])', ARRAY[
        E'    v_written bigint;\n',
        E'    v_written bigint;\n    v_created uuid[];\n    v_updated uuid[];\n    v_relinked uuid[];\n',
        E'        RETURNING 1\n    )\n    SELECT count(*) INTO v_written FROM written;',
        E'        RETURNING c.id AS contact_id, (c.xmax = 0) AS inserted\n    )\n'
        || E'    SELECT count(*), coalesce(array_agg(written.contact_id) FILTER (WHERE written.inserted), ''{}''),\n'
        || E'           coalesce(array_agg(written.contact_id) FILTER (WHERE NOT written.inserted), ''{}'')\n'
        || E'    INTO v_written, v_created, v_updated FROM written;',
        E'        )\n        UPDATE contacts c SET updated_at = greatest($7, next_microsecond(c.updated_at))\n',
        E'        ), touched AS (\n        UPDATE contacts c SET updated_at = greatest($7, next_microsecond(c.updated_at))\n',
        E'          AND c.updated_at < $7\n    $links$ USING',
        E'          AND c.updated_at < $7\n        RETURNING c.id\n        )\n'
        || E'        SELECT coalesce(array_agg(touched.id), ''{}'') FROM touched\n    $links$ INTO v_relinked USING',
        E'    -- Planned for this call''s arrays too',
        E'    PERFORM record_contact_changes(p_tenant, v_created, v_updated || v_relinked);\n\n'
        || E'    -- Planned for this call''s arrays too']);

    -- Imports (the CLI's and the jobs'): the phones the batch created, rewrote or relinked.
    PERFORM pg_temp.edit_function(
        'import_staged_contacts(uuid,uuid,boolean,boolean,boolean,boolean)', ARRAY[
        E'    DELETE FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer;\n',
        -- The ids into variables first: on Citus a call whose arguments read a distributed table
        -- is a query on a shard, and the function's own statements may not run from one.
        E'    SELECT coalesce(array_agg(c.id) FILTER (WHERE c.phone = ANY (v_created)), ''{}''),\n'
        || E'           coalesce(array_agg(c.id) FILTER (WHERE c.phone <> ALL (v_created)), ''{}'')\n'
        || E'    INTO v_created_ids, v_updated_ids\n'
        || E'    FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = ANY (v_created || v_updated || v_relinked);\n'
        || E'    PERFORM record_contact_changes(p_tenant, v_created_ids, v_updated_ids);\n'
        || E'    DELETE FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer;\n',
        E'    v_phones bigint;\n',
        E'    v_phones bigint;\n    v_created_ids uuid[];\n    v_updated_ids uuid[];\n']);
END
$edits$;

-- On Citus: the feed distributed with the contacts (a workspace's changes on its node), and the
-- functions that read or write it delegated there by p_tenant, so each is one task on one node.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        ALTER TABLE change_feeds NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE change_feeds ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
        ALTER TABLE change_feeds FORCE ROW LEVEL SECURITY;
        ALTER TABLE contact_changes NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE contact_changes ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
        ALTER TABLE contact_changes FORCE ROW LEVEL SECURITY;
        RETURN;
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM create_distributed_table('contact_changes', 'tenant_id', colocate_with := 'contacts');
    PERFORM create_distributed_table('change_feeds', 'tenant_id', colocate_with := 'contacts');
    ALTER TABLE contact_changes ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE change_feeds ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    PERFORM create_distributed_function('read_changes(uuid,bigint,int,uuid[])', 'p_tenant', colocate_with := 'contacts');
    PERFORM create_distributed_function('prune_changes(uuid,timestamptz)', 'p_tenant', colocate_with := 'contacts');
    PERFORM create_distributed_function('delete_contact(uuid,text,uuid)', 'p_tenant', colocate_with := 'contacts');
END
$$;
