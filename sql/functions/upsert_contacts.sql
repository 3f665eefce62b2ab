-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- create-contacts as one call, read as if the items ran one after another, in order (API.md):
-- p_* hold every valid item in the batch's order, the same phone possibly more than once. The
-- contact of a phone gets the first item's id when it is new and ends as the phone's last item
-- says; each item is answered with its own metadata as stored, and `created` is true only for the
-- first item of a phone that was new. Set-wise whatever the count, one statement, one round trip,
-- one transaction; rows written in phone order, so concurrent batches lock in the same order. As
-- create-contact, a contact whose last item changes nothing is not written (its updated_at kept),
-- and links change only where the tags differ. p_link_*: (item, tag, position) triples, item
-- 1-based; p_tag_names: every tag named, sorted. It was four statements in a pipeline; on Citus
-- their ON CONFLICT … SET could not call now(): here the instant is a variable. Records each
-- contact it created, rewrote or relinked once in the feed, with its final state.
CREATE OR REPLACE FUNCTION upsert_contacts(
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
    v_created uuid[];
    v_updated uuid[];
    v_relinked uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);

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
        RETURNING c.id AS contact_id, (c.xmax = 0) AS inserted
    )
    SELECT count(*), coalesce(array_agg(written.contact_id) FILTER (WHERE written.inserted), '{}'),
           coalesce(array_agg(written.contact_id) FILTER (WHERE NOT written.inserted), '{}')
    INTO v_written, v_created, v_updated FROM written;

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
        ), touched AS (
        UPDATE contacts c SET updated_at = greatest($7, next_microsecond(c.updated_at))
        WHERE c.tenant_id = $1
          AND c.id IN (SELECT removed.contact_id FROM removed UNION SELECT linked.contact_id FROM linked)
          AND c.updated_at < $7
        RETURNING c.id
        )
        SELECT coalesce(array_agg(touched.id), '{}') FROM touched
    $links$ INTO v_relinked USING p_tenant, v_phones, v_last_items, p_link_items, p_link_tags, p_link_positions, v_now;

    PERFORM record_contact_changes(p_tenant, v_created, v_updated || v_relinked);

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
