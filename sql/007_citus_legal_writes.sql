-- The write functions in a shape Citus accepts when it runs them on a worker: an UPDATE on a
-- distributed table may not call a STABLE function with a column (`timestamptz + interval` is
-- STABLE, as a month or a day depends on the time zone). One microsecond never does, so that step
-- is an IMMUTABLE function of its own; and a function that reads distributed tables may not be
-- called inside a query on a shard, so update_contact reads the tags on their own. Otherwise the
-- functions are those of migrations 005 and 006.

-- The instant one microsecond after t: what a write sets updated_at to at least, so that
-- updated_at only ever moves forward, whichever instance or node writes and whatever its clock.
CREATE FUNCTION next_microsecond(t timestamptz) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN t + interval '1 microsecond';
END
$$;

CREATE OR REPLACE FUNCTION upsert_contact(
    p_tenant uuid, p_id uuid, p_phone text, p_name text, p_email text, p_metadata jsonb, p_tags text[]
) RETURNS TABLE (id uuid, metadata text, created_at timestamptz, updated_at timestamptz, inserted boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_now timestamptz := now();
    v_inserted boolean := false;
    v_touched boolean := false;
    v_tags_changed boolean := false;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    LOOP
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata, created_at, updated_at)
        VALUES (p_tenant, p_id, p_phone, p_name, p_email, p_metadata, v_now, v_now)
        ON CONFLICT (tenant_id, phone) DO NOTHING
        RETURNING c.id INTO v_id;
        IF FOUND THEN
            v_inserted := true;
            EXIT;
        END IF;
        -- The phone exists. Changed fields: one UPDATE, which also takes the row lock, so
        -- concurrent writes of one contact run one after the other. Compared as text: jsonb's =
        -- finds 1.0 and 1.00 equal, but the API gives back what was stored.
        UPDATE contacts c
        SET name = p_name, email = p_email, metadata = p_metadata,
            updated_at = greatest(v_now, next_microsecond(c.updated_at))
        WHERE c.tenant_id = p_tenant AND c.phone = p_phone
          AND (c.name, c.email, c.metadata::text) IS DISTINCT FROM (p_name, p_email, p_metadata::text)
        RETURNING c.id INTO v_id;
        IF FOUND THEN
            v_touched := true;
            EXIT;
        END IF;
        -- Same fields: nothing is written unless the tags differ.
        SELECT c.id INTO v_id FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = p_phone;
        EXIT WHEN FOUND;
        -- Deleted between the statements: insert again.
    END LOOP;

    IF NOT v_inserted THEN
        v_tags_changed := contact_tag_names(p_tenant, v_id) IS DISTINCT FROM p_tags;
    END IF;
    IF v_tags_changed AND NOT v_touched THEN
        UPDATE contacts c SET updated_at = greatest(v_now, next_microsecond(c.updated_at))
        WHERE c.tenant_id = p_tenant AND c.id = v_id;
    END IF;
    IF (v_inserted AND cardinality(p_tags) > 0) OR v_tags_changed THEN
        PERFORM replace_contact_tags(p_tenant, v_id, p_tags, v_inserted);
    END IF;

    RETURN QUERY
    SELECT c.id, c.metadata::text, c.created_at, c.updated_at, v_inserted
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = v_id;
END
$$;

CREATE OR REPLACE FUNCTION update_contact(
    p_tenant uuid, p_phone text,
    p_set_name boolean, p_name text, p_set_email boolean, p_email text,
    p_metadata_mode text, p_metadata_patch jsonb,
    p_set_tags boolean, p_tags text[], p_add_tags text[], p_remove_tags text[]
) RETURNS TABLE (
    id uuid, phone text, name text, email text, metadata text, created_at timestamptz, updated_at timestamptz, tags text[]
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_name text;
    v_email text;
    v_metadata jsonb;
    v_new_name text;
    v_new_email text;
    v_new_metadata jsonb;
    v_current text[];
    v_final text[];
    v_changed boolean;
    v_tags_changed boolean := false;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- The row lock first: concurrent patches of one contact run one after the other, each on
    -- the latest row, so a merge or an add_tags never loses another's change.
    SELECT c.id, c.name, c.email, c.metadata INTO v_id, v_name, v_email, v_metadata
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = p_phone
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_new_name := CASE WHEN p_set_name THEN p_name ELSE v_name END;
    v_new_email := CASE WHEN p_set_email THEN p_email ELSE v_email END;
    v_new_metadata := CASE p_metadata_mode
        WHEN 'clear' THEN '{}'::jsonb
        WHEN 'patch' THEN jsonb_merge_patch(v_metadata, p_metadata_patch)
        ELSE v_metadata END;
    -- As text: jsonb's = finds 1.0 and 1.00 equal, but the API gives back what was stored.
    v_changed := (v_new_name, v_new_email, v_new_metadata::text) IS DISTINCT FROM (v_name, v_email, v_metadata::text);

    IF p_set_tags OR cardinality(p_add_tags) > 0 OR cardinality(p_remove_tags) > 0 THEN
        v_current := contact_tag_names(p_tenant, v_id);
        -- `tags` replaces first; `add_tags` follow in the order given (those already there keep
        -- their place); `remove_tags` go.
        SELECT coalesce(array_agg(edited.name ORDER BY edited.position), '{}') INTO v_final
        FROM (
            SELECT given.name, min(given.position) AS position
            FROM (
                SELECT base.name, base.position
                FROM unnest(CASE WHEN p_set_tags THEN p_tags ELSE v_current END) WITH ORDINALITY AS base(name, position)
                UNION ALL
                SELECT added.name, 1000000 + added.position
                FROM unnest(p_add_tags) WITH ORDINALITY AS added(name, position)
            ) AS given
            WHERE NOT (given.name = ANY (p_remove_tags))
            GROUP BY given.name
        ) AS edited;
        v_tags_changed := v_final IS DISTINCT FROM v_current;
    END IF;

    IF v_tags_changed THEN
        PERFORM replace_contact_tags(p_tenant, v_id, v_final, false);
    END IF;

    IF v_changed OR v_tags_changed THEN
        UPDATE contacts c
        SET name = v_new_name, email = v_new_email, metadata = v_new_metadata,
            updated_at = greatest(now(), next_microsecond(c.updated_at))
        WHERE c.tenant_id = p_tenant AND c.id = v_id;
    END IF;

    -- The tags read on their own: on Citus a function that reads distributed tables may not run
    -- inside a query on a shard.
    IF v_final IS NULL THEN
        v_final := contact_tag_names(p_tenant, v_id);
    END IF;
    RETURN QUERY
    SELECT c.id, c.phone, c.name, c.email, c.metadata::text, c.created_at, c.updated_at, v_final
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = v_id;
END
$$;

-- create-contacts as one call, read as if the items ran one after another, in order (API.md):
-- p_* hold every valid item in the batch's order, the same phone possibly more than once. The
-- contact of a phone gets the first item's id when it is new and ends as the phone's last item
-- says; each item is answered with its own metadata as stored, and `created` is true only for the
-- first item of a phone that was new. Set-wise whatever the count, one statement, one round trip,
-- one transaction; rows written in phone order, so concurrent batches lock in the same order. As
-- create-contact, a contact whose last item changes nothing is not written (its updated_at kept),
-- and links change only where the tags differ. p_link_*: (item, tag, position) triples, item
-- 1-based; p_tag_names: every tag named, sorted. It was four statements in a pipeline; on Citus
-- their ON CONFLICT … SET could not call now(): here the instant is a variable.
CREATE FUNCTION upsert_contacts(
    p_tenant uuid, p_ids uuid[], p_phones text[], p_names text[], p_emails text[], p_metadata jsonb[],
    p_link_items int[], p_link_tags text[], p_link_positions int[], p_tag_names text[]
) RETURNS TABLE (item int, id uuid, metadata text, created boolean, created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
    v_ids uuid[];
    v_phones text[];
    v_names text[];
    v_emails text[];
    v_metadata jsonb[];
    v_last_items bigint[];
    v_written bigint;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);

    -- Each phone's row: the first item's id, the last item's fields, in phone order. Worked out
    -- apart from the INSERT: on Citus an INSERT … SELECT with such subqueries is planned through
    -- the coordinator, which loses the function's variables.
    SELECT array_agg(first.id ORDER BY last.phone), array_agg(last.phone ORDER BY last.phone),
           array_agg(last.name ORDER BY last.phone), array_agg(last.email ORDER BY last.phone),
           array_agg(last.metadata ORDER BY last.phone), array_agg(last.item ORDER BY last.phone)
    INTO v_ids, v_phones, v_names, v_emails, v_metadata, v_last_items
    FROM (
        SELECT DISTINCT ON (g.phone) g.phone, g.name, g.email, g.metadata, g.item
        FROM unnest(p_phones, p_names, p_emails, p_metadata) WITH ORDINALITY AS g(phone, name, email, metadata, item)
        ORDER BY g.phone, g.item DESC
    ) AS last
    JOIN (
        SELECT DISTINCT ON (g.phone) g.phone, g.id
        FROM unnest(p_ids, p_phones) WITH ORDINALITY AS g(id, phone, item)
        ORDER BY g.phone, g.item
    ) AS first ON first.phone = last.phone;

    -- Written inside a CTE: on Citus a bare INSERT … SELECT from arrays is planned through the
    -- coordinator, which loses the function's variables ("there is no parameter $N"); as a
    -- data-modifying CTE it is one router statement on the tenant's node.
    WITH written AS (
        INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata, created_at, updated_at)
        SELECT p_tenant, given.id, given.phone, given.name, given.email, given.metadata, v_now, v_now
        FROM unnest(v_ids, v_phones, v_names, v_emails, v_metadata) AS given(id, phone, name, email, metadata)
        ON CONFLICT (tenant_id, phone) DO UPDATE
        SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
            updated_at = greatest(v_now, next_microsecond(c.updated_at))
        -- A contact that already says what its last item says is not written. As text: jsonb's =
        -- finds 1.0 and 1.00 equal, but the API gives back what was stored.
        WHERE (c.name, c.email, c.metadata::text) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.metadata::text)
        RETURNING 1
    )
    SELECT count(*) INTO v_written FROM written;

    IF cardinality(p_tag_names) > 0 THEN
        INSERT INTO tags (tenant_id, name)
        SELECT p_tenant, given.name FROM unnest(p_tag_names) AS given(name)
        ON CONFLICT (tenant_id, name) DO NOTHING;
    END IF;

    -- Each phone's links as its last item says: removed where not wanted, added or re-ordered
    -- where they differ; a contact whose links changed and that the upsert left alone gets its
    -- updated_at moved. Planned for this call's arrays (EXECUTE), like the answer below: with a
    -- session's generic plan (ten rows guessed an array) the links of 1,000 items were matched to
    -- their contacts by a nested loop, 2,000 × 1,000 comparisons.
    EXECUTE $links$
        WITH last AS MATERIALIZED (
            SELECT l.phone, l.item FROM unnest($2::text[], $3::bigint[]) AS l(phone, item)
        ), contact AS MATERIALIZED (
            -- One index probe per phone (LATERAL … LIMIT 1), whatever the statistics say: with
            -- real array sizes the planner would rather hash the whole tenant.
            SELECT c.id, last.item FROM last
            CROSS JOIN LATERAL (
                SELECT c.id FROM contacts c WHERE c.tenant_id = $1 AND c.phone = last.phone LIMIT 1
            ) AS c
        ), wanted AS MATERIALIZED (
            SELECT contact.id AS contact_id, t.id AS tag_id, l.position::smallint AS position
            FROM unnest($4::int[], $5::text[], $6::int[]) AS l(item, name, position)
            JOIN contact ON contact.item = l.item
            JOIN tags t ON t.tenant_id = $1 AND t.name = l.name
        ), removed AS (
            DELETE FROM contact_tags ct
            WHERE ct.tenant_id = $1 AND ct.contact_id IN (SELECT contact.id FROM contact)
              AND (ct.contact_id, ct.tag_id) NOT IN (SELECT wanted.contact_id, wanted.tag_id FROM wanted)
            RETURNING ct.contact_id
        ), linked AS (
            INSERT INTO contact_tags AS ct (tenant_id, contact_id, tag_id, position)
            SELECT $1, wanted.contact_id, wanted.tag_id, wanted.position FROM wanted
            ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
            WHERE ct.position <> EXCLUDED.position
            RETURNING ct.contact_id
        )
        UPDATE contacts c SET updated_at = greatest($7, next_microsecond(c.updated_at))
        WHERE c.tenant_id = $1
          AND c.id IN (SELECT removed.contact_id FROM removed UNION SELECT linked.contact_id FROM linked)
          AND c.updated_at < $7
    $links$ USING p_tenant, v_phones, v_last_items, p_link_items, p_link_tags, p_link_positions, v_now;

    -- Planned for this call's arrays too: a generic plan joined the whole tenant (3 ms → 50 ms for
    -- 1,000 items).
    RETURN QUERY EXECUTE $query$
        WITH given AS (
            SELECT g.id, g.phone, g.metadata, g.item
            FROM unnest($1::uuid[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS g(id, phone, metadata, item)
        ), first AS (
            SELECT DISTINCT ON (given.phone) given.phone, given.id, given.item FROM given ORDER BY given.phone, given.item
        )
        SELECT given.item::int, c.id, given.metadata::text,
               given.item = first.item AND c.id = first.id AND c.created_at = $5,
               c.created_at, c.updated_at
        FROM given
        JOIN first ON first.phone = given.phone
        CROSS JOIN LATERAL (
            SELECT c.id, c.created_at, c.updated_at FROM contacts c
            WHERE c.tenant_id = $4 AND c.phone = given.phone LIMIT 1
        ) AS c
        ORDER BY given.item
    $query$ USING p_ids, p_phones, p_metadata, p_tenant, v_now;
END
$$;
