-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- The import's staging (the import_staging table): a writer COPYs a batch in under its own key
-- (tenant, writer), then one call of import_staged_contacts upserts the batch set-wise, records
-- its changes and removes it, in one transaction. These run as the owner (the application role
-- may only INSERT into the staging), each limited to its (tenant, writer).
--
-- One staged batch: the last row of each phone wins; an unchanged contact is not rewritten; tags
-- created; links replaced set-wise for each phone's last row (a contact whose links changed and
-- that the upsert did not rewrite gets its updated_at moved); then the batch is removed. Every
-- step is driven by the batch (joins on phone and contact id, which the planner turns into index
-- lookups), never by a scan of the tenant's contacts or links, so a batch costs the same at 1 or
-- 1,000,000 contacts. It answers which phones it created and updated, so an import can count each
-- phone once by what its last row did; it is told which columns the file has (API.md): an absent
-- column leaves that field of an existing contact alone (an empty cell clears it).
CREATE OR REPLACE FUNCTION import_staged_contacts(
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
    v_created_ids uuid[];
    v_updated_ids uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);
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

    v_created_ids := ARRAY(SELECT c.id FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = ANY (v_created));
    v_updated_ids := ARRAY(SELECT c.id FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = ANY (v_updated || v_relinked));
    PERFORM record_contact_changes(p_tenant, v_created_ids, v_updated_ids);
    DELETE FROM import_staging s WHERE s.tenant_id = p_tenant AND s.writer = p_writer;
    RETURN QUERY SELECT v_created, v_updated || v_relinked, v_phones;
END
$$;

-- A batch whose write failed, and rows left by an import that died between its COPY and its call
-- (no import holds a batch for an hour): removed as the owner, limited to the caller's tenant.
CREATE OR REPLACE FUNCTION discard_staged_batch(p_tenant uuid, p_writer uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM import_staging WHERE tenant_id = p_tenant AND writer = p_writer;
$$;

CREATE OR REPLACE FUNCTION discard_abandoned_staging(p_tenant uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM import_staging WHERE tenant_id = p_tenant AND staged_at < now() - interval '1 hour';
$$;

REVOKE EXECUTE ON FUNCTION import_staged_contacts(uuid, uuid, boolean, boolean, boolean, boolean),
    discard_staged_batch(uuid, uuid), discard_abandoned_staging(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import_staged_contacts(uuid, uuid, boolean, boolean, boolean, boolean),
    discard_staged_batch(uuid, uuid), discard_abandoned_staging(uuid) TO contacts_app;
