-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- create-contact as one call: the tenant, the upsert, the tags, the links and the change in one
-- statement the service prepares once per connection, one round trip, one implicit transaction.
--
-- Only what changed is written: a contact whose fields and tags are the same is not touched
-- (no new row version, no WAL, updated_at kept, API.md); unchanged links stay as they are.
-- updated_at moves forward on every write that changes something, never back, even within one
-- microsecond (next_microsecond). Legal on Citus: tenant_id = p_tenant in every statement, and no
-- ON CONFLICT … DO UPDATE (whose SET must be IMMUTABLE there): the update is its own statement.
-- One change is recorded in the feed when it inserted, rewrote or relinked the contact.
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
    PERFORM set_tenant(p_tenant);
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

    IF v_inserted OR v_touched OR v_tags_changed THEN
        PERFORM record_contact_change(p_tenant, v_id, v_inserted, p_tags);
    END IF;
    RETURN QUERY
    SELECT c.id, c.metadata::text, c.created_at, c.updated_at, v_inserted
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = v_id;
END
$$;
