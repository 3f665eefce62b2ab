-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).
-- delete-contact as one call: the row, its links (ON DELETE CASCADE) and its tombstone, whose
-- instant is after the contact's last updated_at whatever the clocks say. By phone, by id, or both
-- (the contact must match both).
CREATE OR REPLACE FUNCTION delete_contact(p_tenant uuid, p_phone text, p_id uuid) RETURNS TABLE (id uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_phone text;
    v_updated timestamptz;
    v_deleted timestamptz;
BEGIN
    PERFORM set_tenant(p_tenant);
    DELETE FROM contacts c
    WHERE c.tenant_id = p_tenant AND (p_phone IS NULL OR c.phone = p_phone) AND (p_id IS NULL OR c.id = p_id)
      AND (p_phone IS NOT NULL OR p_id IS NOT NULL)
    RETURNING c.id, c.phone, c.updated_at INTO v_id, v_phone, v_updated;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    v_deleted := greatest(now(), next_microsecond(v_updated));
    INSERT INTO contact_changes (tenant_id, id, type, contact_id, phone, updated_at)
    VALUES (p_tenant, change_id(v_id, v_deleted), 'contact.deleted', v_id, v_phone, v_deleted)
    ON CONFLICT (tenant_id, id) DO NOTHING;
    RETURN QUERY SELECT v_id;
END
$$;
