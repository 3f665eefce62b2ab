-- The reference for "one call" (issue 11): a straightforward plpgsql function doing what a
-- create-contact does (set the tenant, upsert the contact, create its tags, replace its links),
-- written once for the benchmark and then frozen. pgbench calls it; the service is measured
-- against it. Not used by the service. Created by make bench as the schema owner.
-- Re-frozen once, for round three (issue 22), when the change feed landed: it now also records the
-- change, as every write must (the contact's state after the write, in contact_changes).
CREATE OR REPLACE FUNCTION bench_reference_upsert(
    p_tenant uuid, p_phone text, p_name text, p_email text, p_metadata jsonb, p_tags text[]
) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
    v_inserted boolean;
    v_created timestamptz;
    v_updated timestamptz;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    INSERT INTO contacts AS c (tenant_id, id, phone, name, email, metadata)
    VALUES (p_tenant, gen_random_uuid(), p_phone, p_name, p_email, p_metadata)
    ON CONFLICT (tenant_id, phone) DO UPDATE
    SET name = EXCLUDED.name, email = EXCLUDED.email, metadata = EXCLUDED.metadata, updated_at = now()
    RETURNING c.id, c.xmax = 0, c.created_at, c.updated_at INTO v_id, v_inserted, v_created, v_updated;
    INSERT INTO tags (tenant_id, name)
    SELECT p_tenant, t FROM unnest(p_tags) AS t ORDER BY t
    ON CONFLICT (tenant_id, name) DO NOTHING;
    DELETE FROM contact_tags WHERE tenant_id = p_tenant AND contact_id = v_id;
    INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
    SELECT p_tenant, v_id, t.id, g.position
    FROM unnest(p_tags) WITH ORDINALITY AS g(name, position)
    JOIN tags t ON t.tenant_id = p_tenant AND t.name = g.name;
    INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, name, email, tags, metadata, created_at, updated_at)
    VALUES (p_tenant, gen_random_uuid(), CASE WHEN v_inserted THEN 'contact.created' ELSE 'contact.updated' END,
            v_id, p_phone, p_name, p_email, p_tags, p_metadata, v_created, v_updated);
    RETURN v_id;
END
$$;
GRANT EXECUTE ON FUNCTION bench_reference_upsert(uuid, text, text, text, jsonb, text[]) TO contacts_app;
