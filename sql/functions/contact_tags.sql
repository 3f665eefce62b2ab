-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).
-- A contact's tags: read in order, and replaced; used by the write functions.

-- A contact's tag names, in the order given. plpgsql, not sql: a SQL function called from
-- plpgsql is planned again on every call, a plpgsql one keeps its plan for the session.
CREATE OR REPLACE FUNCTION contact_tag_names(p_tenant uuid, p_contact uuid) RETURNS text[]
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
-- alone. More than 100 tags: position 101 breaks contact_tags_at_most_100 (sql/migrations/017_baseline.sql).
CREATE OR REPLACE FUNCTION replace_contact_tags(p_tenant uuid, p_contact uuid, p_tags text[], p_new boolean) RETURNS void
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
