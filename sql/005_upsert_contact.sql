-- create-contact as one call: the tenant, the upsert, the tags and the links in one statement the
-- service prepares once per connection, one round trip, one implicit transaction.
--
-- Only what changed is written: a contact whose fields and tags are the same is not touched
-- (no new row version, no WAL, updated_at kept, API.md); unchanged links stay as they are.
-- updated_at moves forward on every write that changes something, never back, even within one
-- microsecond. Legal on Citus: tenant_id = p_tenant in every statement, and no ON CONFLICT … DO
-- UPDATE (whose SET must be IMMUTABLE there): the update is its own statement.
-- A contact's tag names, in the order given. plpgsql, not sql: a SQL function called from
-- plpgsql is planned again on every call, a plpgsql one keeps its plan for the session.
CREATE FUNCTION contact_tag_names(p_tenant uuid, p_contact uuid) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(t.name ORDER BY ct.position), '{}')
            FROM contact_tags ct JOIN tags t ON t.tenant_id = ct.tenant_id AND t.id = ct.tag_id
            WHERE ct.tenant_id = p_tenant AND ct.contact_id = p_contact);
END
$$;

-- Makes a contact's tags p_tags, in that order: creates the missing tags (sorted, so concurrent
-- writers lock tag rows in the same order and cannot deadlock), removes the links not wanted
-- (none on a contact just created: p_new) and adds or re-orders the rest, leaving unchanged links
-- alone. More than 100 tags: position 101 breaks contact_tags_at_most_100 (migration 003).
CREATE FUNCTION replace_contact_tags(p_tenant uuid, p_contact uuid, p_tags text[], p_new boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(p_tags) > 0 THEN
        INSERT INTO tags (tenant_id, name)
        SELECT p_tenant, given.name FROM unnest(p_tags) AS given(name) ORDER BY given.name
        ON CONFLICT (tenant_id, name) DO NOTHING;
    END IF;
    IF NOT p_new THEN
        DELETE FROM contact_tags ct
        WHERE ct.tenant_id = p_tenant AND ct.contact_id = p_contact
          AND ct.tag_id NOT IN (SELECT t.id FROM tags t WHERE t.tenant_id = p_tenant AND t.name = ANY (p_tags));
    END IF;
    IF cardinality(p_tags) > 0 THEN
        INSERT INTO contact_tags AS ct (tenant_id, contact_id, tag_id, position)
        SELECT p_tenant, p_contact, t.id, given.position
        FROM unnest(p_tags) WITH ORDINALITY AS given(name, position)
        JOIN tags t ON t.tenant_id = p_tenant AND t.name = given.name
        ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
        WHERE ct.position <> EXCLUDED.position;
    END IF;
END
$$;

CREATE FUNCTION upsert_contact(
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
            updated_at = greatest(v_now, c.updated_at + interval '1 microsecond')
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
        UPDATE contacts c SET updated_at = greatest(v_now, c.updated_at + interval '1 microsecond')
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
