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

-- rename-tag and delete-tag touch every contact that carries the tag (a new updated_at, one
-- contact.updated change each): at 100,000 contacts that is seconds of work, more than one
-- statement may take (the service's statement_timeout, 5 s). So the service runs them in steps,
-- in one transaction on a connection of its own (ContactStore.changeTag): begin_tag_change locks
-- and decides, move_tag_links handles at most p_limit contacts a call, end_tag_change finishes.
-- The transaction keeps the change whole: a failure in any step leaves every contact as it was.
-- The old one-statement functions are dropped here.
DROP FUNCTION IF EXISTS rename_tag(uuid, text, text);
DROP FUNCTION IF EXISTS delete_tag(uuid, text);

-- Locks the tag p_from and, for a rename, p_to, in name order (as writers lock tags: two changes
-- of the same tags cannot deadlock, and no write tags a contact with p_from until the commit).
-- Answers the two ids, or no row when p_from is not a tag of the workspace. A rename to a new name
-- renames the tag row itself (its links stay; to_id = from_id); where p_to exists the two ids
-- differ and the links move; a deletion (p_to NULL) answers to_id NULL.
CREATE OR REPLACE FUNCTION begin_tag_change(p_tenant uuid, p_from text, p_to text)
RETURNS TABLE (from_id bigint, to_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_from bigint;
    v_to bigint;
BEGIN
    PERFORM set_tenant(p_tenant);
    PERFORM 1 FROM tags t WHERE t.tenant_id = p_tenant AND t.name IN (p_from, p_to) ORDER BY t.name FOR UPDATE;
    SELECT t.id INTO v_from FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_from;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_to IS NOT NULL THEN
        SELECT t.id INTO v_to FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_to;
        IF v_to IS NULL THEN
            -- A writer that creates p_to meanwhile wins the name: then the two merge.
            BEGIN
                UPDATE tags t SET name = p_to WHERE t.tenant_id = p_tenant AND t.id = v_from;
                v_to := v_from;
            EXCEPTION WHEN unique_violation THEN
                SELECT t.id INTO v_to FROM tags t WHERE t.tenant_id = p_tenant AND t.name = p_to FOR UPDATE;
            END;
        END IF;
    END IF;
    RETURN QUERY SELECT v_from, v_to;
END
$$;

-- One step: the next p_limit contacts (by id, after p_after) linked to p_from. Where p_to is
-- another tag, their links move to it (a contact with both keeps one, at the earlier position);
-- where p_to is NULL, their links go; where p_to = p_from (renamed in place), the links stay.
-- Each of those contacts gets a new updated_at and one contact.updated change. Answers how many
-- contacts it handled and the last one's id, the p_after of the next step (0 contacts: done).
CREATE OR REPLACE FUNCTION move_tag_links(p_tenant uuid, p_from bigint, p_to bigint, p_after uuid, p_limit int)
RETURNS TABLE (contacts int, last_contact uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ids uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);
    -- The ids first (contact_tags_by_tag, in order), then each statement uses them only as an
    -- index condition (a join planned from statistics can walk every link once per id).
    v_ids := ARRAY(
        SELECT ct.contact_id FROM contact_tags ct
        WHERE ct.tenant_id = p_tenant AND ct.tag_id = p_from AND (p_after IS NULL OR ct.contact_id > p_after)
        ORDER BY ct.contact_id LIMIT p_limit);
    IF cardinality(v_ids) = 0 THEN
        RETURN QUERY SELECT 0, NULL::uuid;
        RETURN;
    END IF;
    IF p_to IS NULL THEN
        DELETE FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = p_from AND ct.contact_id = ANY (v_ids);
    ELSIF p_to <> p_from THEN
        UPDATE contact_tags kept SET position = gone.position
        FROM contact_tags gone
        WHERE kept.tenant_id = p_tenant AND kept.tag_id = p_to AND kept.contact_id = ANY (v_ids)
          AND gone.tenant_id = p_tenant AND gone.tag_id = p_from AND gone.contact_id = kept.contact_id
          AND gone.position < kept.position;
        DELETE FROM contact_tags gone
        WHERE gone.tenant_id = p_tenant AND gone.tag_id = p_from AND gone.contact_id = ANY (v_ids)
          AND EXISTS (SELECT FROM contact_tags kept
                      WHERE kept.tenant_id = p_tenant AND kept.tag_id = p_to AND kept.contact_id = gone.contact_id);
        UPDATE contact_tags ct SET tag_id = p_to
        WHERE ct.tenant_id = p_tenant AND ct.tag_id = p_from AND ct.contact_id = ANY (v_ids);
    END IF;
    UPDATE contacts c SET updated_at = greatest(now(), next_microsecond(c.updated_at))
    WHERE c.tenant_id = p_tenant AND c.id = ANY (v_ids);
    PERFORM record_contact_changes(p_tenant, '{}', v_ids);
    RETURN QUERY SELECT cardinality(v_ids), v_ids[cardinality(v_ids)];
END
$$;

-- The last step: the tag p_from leaves the workspace unless it was renamed in place. Answers how
-- many contacts carry p_to (0 for a deletion).
CREATE OR REPLACE FUNCTION end_tag_change(p_tenant uuid, p_from bigint, p_to bigint)
RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_tenant(p_tenant);
    IF p_to IS DISTINCT FROM p_from THEN
        DELETE FROM tags t WHERE t.tenant_id = p_tenant AND t.id = p_from;
    END IF;
    IF p_to IS NULL THEN
        RETURN 0;
    END IF;
    RETURN (SELECT count(*) FROM contact_tags ct WHERE ct.tenant_id = p_tenant AND ct.tag_id = p_to);
END
$$;
