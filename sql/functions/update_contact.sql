-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- update-contact as one call, like create-contact: the tenant, the row lock, the merge patch, the
-- tag edits, the links and the change in one statement, one round trip. Nothing is written when
-- the patch changes nothing (updated_at kept, API.md); unchanged links stay as they are. It reads
-- the tags in a statement of their own: on Citus a function that reads distributed tables may not
-- be called inside a query on a shard.
--
-- The contact is found by p_phone, by p_id, or by both (they must name the same one). p_new_phone
-- moves it to another number, keeping its id, fields, tags and created_at; another contact on that
-- number is the outcome 'phone_taken' with its id, and nothing changes. Two contacts moved onto one
-- number at once: the unique key (tenant_id, phone) lets one through, the other finds it taken.
-- outcome: 'updated' (the contact as it is after the call), 'not_found', 'mismatch' (phone and id
-- name two different contacts), 'phone_taken' (other_id: the contact holding p_new_phone).
-- The signature before p_id and p_new_phone, dropped (its callers were the service's own).
DROP FUNCTION IF EXISTS update_contact(uuid, text, boolean, text, boolean, text, text, jsonb, boolean, text[], text[], text[]);
CREATE OR REPLACE FUNCTION update_contact(
    p_tenant uuid, p_phone text, p_id uuid, p_new_phone text,
    p_set_name boolean, p_name text, p_set_email boolean, p_email text,
    p_metadata_mode text, p_metadata_patch jsonb,
    p_set_tags boolean, p_tags text[], p_add_tags text[], p_remove_tags text[]
) RETURNS TABLE (
    id uuid, phone text, name text, email text, metadata text, created_at timestamptz, updated_at timestamptz, tags text[],
    outcome text, other_id uuid
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
    v_phone text;
    v_other uuid;
BEGIN
    PERFORM set_tenant(p_tenant);
    -- The row lock first: concurrent patches of one contact run one after the other, each on
    -- the latest row, so a merge or an add_tags never loses another's change.
    SELECT c.id, c.phone, c.name, c.email, c.metadata INTO v_id, v_phone, v_name, v_email, v_metadata
    FROM contacts c
    WHERE c.tenant_id = p_tenant AND (p_phone IS NULL OR c.phone = p_phone) AND (p_id IS NULL OR c.id = p_id)
    FOR UPDATE;
    IF NOT FOUND THEN
        -- Both given, each naming a contact, but not the same one: the caller's mistake, not a 404.
        IF p_phone IS NOT NULL AND p_id IS NOT NULL
            AND EXISTS (SELECT FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = p_phone)
            AND EXISTS (SELECT FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = p_id) THEN
            RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
                NULL::text[], 'mismatch'::text, NULL::uuid;
        ELSE
            RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
                NULL::text[], 'not_found'::text, NULL::uuid;
        END IF;
        RETURN;
    END IF;
    -- A new number first, alone: taken (now, or by a concurrent move that commits first) means
    -- nothing of the patch is written. The holder is read in a statement of its own; if it left
    -- the number meanwhile (moved or deleted, committed between the two), the move is tried again
    -- rather than answering phone_taken without a contact to name.
    IF p_new_phone IS NOT NULL AND p_new_phone <> v_phone THEN
        LOOP
            BEGIN
                UPDATE contacts c SET phone = p_new_phone WHERE c.tenant_id = p_tenant AND c.id = v_id;
                EXIT;
            EXCEPTION WHEN unique_violation THEN
                SELECT c.id INTO v_other FROM contacts c WHERE c.tenant_id = p_tenant AND c.phone = p_new_phone;
                IF v_other IS NOT NULL THEN
                    RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz,
                        NULL::timestamptz, NULL::text[], 'phone_taken'::text, v_other;
                    RETURN;
                END IF;
            END;
        END LOOP;
    END IF;
    v_new_name := CASE WHEN p_set_name THEN p_name ELSE v_name END;
    v_new_email := CASE WHEN p_set_email THEN p_email ELSE v_email END;
    v_new_metadata := CASE p_metadata_mode
        WHEN 'clear' THEN '{}'::jsonb
        WHEN 'patch' THEN jsonb_merge_patch(v_metadata, p_metadata_patch)
        ELSE v_metadata END;
    -- As text: jsonb's = finds 1.0 and 1.00 equal, but the API gives back what was stored.
    v_changed := (v_new_name, v_new_email, v_new_metadata::text) IS DISTINCT FROM (v_name, v_email, v_metadata::text)
        OR (p_new_phone IS NOT NULL AND p_new_phone <> v_phone);

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
    IF v_changed OR v_tags_changed THEN
        PERFORM record_contact_change(p_tenant, v_id, false, v_final);
    END IF;
    RETURN QUERY
    SELECT c.id, c.phone, c.name, c.email, c.metadata::text, c.created_at, c.updated_at, v_final, 'updated'::text, NULL::uuid
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = v_id;
END
$$;
