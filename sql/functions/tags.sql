-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- A workspace's tags (API.md "Tags, paginated and managed"): listed by name, bytewise; renamed,
-- merging into a tag that exists; deleted. Each takes the tenant and sets it, as every call does;
-- on Citus each is delegated to the node holding the tenant (sql/distribute_functions.sql).

-- One page of tags by name (bytewise: COLLATE "C"), after p_after, starting with p_prefix, with how
-- many contacts carry each (one probe of contact_tags_by_tag per tag).
CREATE OR REPLACE FUNCTION list_tags(p_tenant uuid, p_prefix text, p_after text, p_limit int)
RETURNS TABLE (name text, contacts bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_tenant(p_tenant);
    RETURN QUERY
    SELECT t.name, (SELECT count(*) FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = t.id)
    FROM tags t
    WHERE t.tenant_id = p_tenant
      AND (p_after IS NULL OR (t.name COLLATE "C") > (p_after COLLATE "C"))
      AND (p_prefix IS NULL OR ((t.name COLLATE "C") >= (p_prefix COLLATE "C") AND starts_with(t.name, p_prefix)))
    ORDER BY (t.name COLLATE "C")
    LIMIT p_limit;
END
$$;

-- Every contact tagged p_from is tagged p_to in its place. Where p_to exists the two merge: a
-- contact with both keeps one, at the earlier position. Each contact that changes gets a new
-- updated_at and one contact.updated change. Answers p_to and how many contacts carry it, or no
-- row when p_from is not a tag of the workspace. Set-wise: a few statements whatever the count.
CREATE OR REPLACE FUNCTION rename_tag(p_tenant uuid, p_from text, p_to text)
RETURNS TABLE (name text, contacts bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_from bigint;
    v_to bigint;
    v_changed uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);
    -- Both tag rows locked, in name order (as writers lock tags), so that two renames of the same
    -- tags cannot deadlock and a concurrent write tags nobody with p_from meanwhile.
    PERFORM 1 FROM tags t WHERE t.tenant_id = p_tenant AND t.name IN (p_from, p_to) ORDER BY t.name FOR UPDATE;
    SELECT t.id INTO v_from FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_from;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT t.id INTO v_to FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_to;
    v_changed := '{}';
    IF v_to IS NULL THEN
        -- A new name: the tag row itself is renamed; its links stay as they are. (A writer that
        -- creates p_to meanwhile wins the name: then the two merge, below.)
        BEGIN
            UPDATE tags t SET name = p_to WHERE t.tenant_id = p_tenant AND t.id = v_from;
            v_to := v_from;
            v_changed := ARRAY(SELECT ct.contact_id FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = v_from);
        EXCEPTION WHEN unique_violation THEN
            SELECT t.id INTO v_to FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_to FOR UPDATE;
        END;
    END IF;
    IF v_to <> v_from THEN
        v_changed := ARRAY(SELECT ct.contact_id FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = v_from);
        -- A contact with both keeps p_to, at the earlier of the two positions.
        UPDATE contact_tags kept SET position = gone.position
        FROM contact_tags gone
        WHERE kept.tenant_id = p_tenant AND kept.tag_id = v_to
          AND gone.tenant_id = p_tenant AND gone.tag_id = v_from AND gone.contact_id = kept.contact_id
          AND gone.position < kept.position;
        DELETE FROM contact_tags gone
        WHERE gone.tenant_id = p_tenant AND gone.tag_id = v_from
          AND EXISTS (SELECT FROM contact_tags kept
                      WHERE kept.tenant_id = p_tenant AND kept.tag_id = v_to AND kept.contact_id = gone.contact_id);
        UPDATE contact_tags ct SET tag_id = v_to WHERE ct.tenant_id = p_tenant AND ct.tag_id = v_from;
        DELETE FROM tags t WHERE t.tenant_id = p_tenant AND t.id = v_from;
    END IF;
    IF cardinality(v_changed) > 0 THEN
        UPDATE contacts c SET updated_at = greatest(now(), next_microsecond(c.updated_at))
        WHERE c.tenant_id = p_tenant AND c.id = ANY (v_changed);
        PERFORM record_contact_changes(p_tenant, '{}', v_changed);
    END IF;
    RETURN QUERY
    SELECT p_to, (SELECT count(*) FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = v_to);
END
$$;

-- The tag leaves every contact and the workspace: each of those contacts gets a new updated_at and
-- one contact.updated change. Answers how many contacts carried it, or no row when it is not a tag
-- of the workspace.
CREATE OR REPLACE FUNCTION delete_tag(p_tenant uuid, p_name text)
RETURNS TABLE (contacts bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_tag bigint;
    v_changed uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);
    SELECT t.id INTO v_tag FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    WITH removed AS (
        DELETE FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = v_tag RETURNING ct.contact_id
    )
    SELECT coalesce(array_agg(removed.contact_id), '{}') INTO v_changed FROM removed;
    DELETE FROM tags t WHERE t.tenant_id = p_tenant AND t.id = v_tag;
    IF cardinality(v_changed) > 0 THEN
        UPDATE contacts c SET updated_at = greatest(now(), next_microsecond(c.updated_at))
        WHERE c.tenant_id = p_tenant AND c.id = ANY (v_changed);
        PERFORM record_contact_changes(p_tenant, '{}', v_changed);
    END IF;
    RETURN QUERY SELECT cardinality(v_changed)::bigint;
END
$$;
