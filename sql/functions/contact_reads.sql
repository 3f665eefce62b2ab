-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- Reads as functions that take the tenant, as writes are: one statement, in its own implicit
-- transaction, that sets its tenant itself. So a read needs no BEGIN and no SET LOCAL before it,
-- and can share a pipelined session with other callers' calls (a SET LOCAL in a pipeline is lost
-- outside a transaction block, and a BEGIN that fails leaves the session aborted for whoever
-- sends next). On Citus each is delegated to the node holding the tenant, as writes are.
--
-- Each returns the columns every contact read returns (ContactQueries.contact), tags in the order
-- they were given. The list branches on the filter that picks the rows, so each branch keeps a
-- plan on its own index; the other filters are checked on the rows it finds.
CREATE OR REPLACE FUNCTION read_contact(p_tenant uuid, p_id uuid)
RETURNS TABLE (id uuid, phone text, name text, email text, metadata text, created_at timestamptz, updated_at timestamptz, tags text[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_tenant(p_tenant);
    RETURN QUERY
    SELECT c.id, c.phone, c.name, c.email, c.metadata::text, c.created_at, c.updated_at,
           coalesce((SELECT array_agg(t.name ORDER BY ct.position)
                     FROM contact_tags ct JOIN tags t ON t.tenant_id = p_tenant AND t.id = ct.tag_id
                     WHERE ct.tenant_id = p_tenant AND ct.contact_id = c.id), '{}')
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = p_id;
END
$$;

-- One page in id order, at most p_limit rows, after p_after when given.
CREATE OR REPLACE FUNCTION list_contacts(
    p_tenant uuid, p_phone text, p_email text, p_tag text, p_since timestamptz, p_after uuid, p_limit int)
RETURNS TABLE (id uuid, phone text, name text, email text, metadata text, created_at timestamptz, updated_at timestamptz, tags text[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ids uuid[];
BEGIN
    PERFORM set_tenant(p_tenant);
    IF p_phone IS NOT NULL THEN
        v_ids := ARRAY(SELECT c.id FROM contacts c
            WHERE c.tenant_id = p_tenant AND c.phone = p_phone
              AND (p_email IS NULL OR c.email = p_email) AND (p_since IS NULL OR c.updated_at >= p_since)
              AND (p_after IS NULL OR c.id > p_after));
    ELSIF p_tag IS NOT NULL THEN
        v_ids := ARRAY(SELECT ct.contact_id FROM tags t
            JOIN contact_tags ct ON ct.tenant_id = p_tenant AND ct.tag_id = t.id
            JOIN contacts c ON c.tenant_id = p_tenant AND c.id = ct.contact_id
            WHERE t.tenant_id = p_tenant AND t.name = p_tag
              AND (p_after IS NULL OR ct.contact_id > p_after)
              AND (p_email IS NULL OR c.email = p_email) AND (p_since IS NULL OR c.updated_at >= p_since)
            ORDER BY ct.contact_id LIMIT p_limit);
    ELSIF p_email IS NOT NULL THEN
        v_ids := ARRAY(SELECT c.id FROM contacts c
            WHERE c.tenant_id = p_tenant AND c.email = p_email
              AND (p_since IS NULL OR c.updated_at >= p_since) AND (p_after IS NULL OR c.id > p_after)
            ORDER BY c.id LIMIT p_limit);
    ELSIF p_since IS NOT NULL THEN
        v_ids := ARRAY(SELECT c.id FROM contacts c
            WHERE c.tenant_id = p_tenant AND c.updated_at >= p_since AND (p_after IS NULL OR c.id > p_after)
            ORDER BY c.id LIMIT p_limit);
    ELSE
        v_ids := ARRAY(SELECT c.id FROM contacts c
            WHERE c.tenant_id = p_tenant AND c.id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
            ORDER BY c.id LIMIT p_limit);
    END IF;
    RETURN QUERY
    SELECT c.id, c.phone, c.name, c.email, c.metadata::text, c.created_at, c.updated_at,
           coalesce((SELECT array_agg(t.name ORDER BY ct.position)
                     FROM contact_tags ct JOIN tags t ON t.tenant_id = p_tenant AND t.id = ct.tag_id
                     WHERE ct.tenant_id = p_tenant AND ct.contact_id = c.id), '{}')
    FROM contacts c WHERE c.tenant_id = p_tenant AND c.id = ANY (v_ids)
    ORDER BY c.id;
END
$$;
