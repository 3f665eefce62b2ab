-- Tags are compared in Unicode NFC (API.md): the service normalizes every tag it receives. This
-- folds tags stored before that into their NFC form: renamed when the NFC name is free, merged
-- into the existing NFC tag otherwise (its links moved, a link the contact already had dropped;
-- the order of each contact's tags is kept).
--
-- A function, so that it can be run again (and tested); row-level security is forced on the
-- owner too, so it sets each workspace as the tenant in turn.
CREATE FUNCTION normalize_tags_to_nfc() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    workspace uuid;
    tag record;
    target bigint;
    changed integer := 0;
BEGIN
    FOR workspace IN SELECT id FROM workspaces LOOP
        PERFORM set_config('app.tenant_id', workspace::text, true);
        FOR tag IN SELECT id, name FROM tags WHERE tenant_id = workspace AND name IS NOT NFC NORMALIZED LOOP
            SELECT id INTO target FROM tags WHERE tenant_id = workspace AND name = normalize(tag.name, NFC);
            IF target IS NULL THEN
                UPDATE tags SET name = normalize(tag.name, NFC) WHERE tenant_id = workspace AND id = tag.id;
            ELSE
                UPDATE contact_tags AS link SET tag_id = target
                WHERE link.tenant_id = workspace AND link.tag_id = tag.id
                  AND NOT EXISTS (SELECT 1 FROM contact_tags other
                                  WHERE other.tenant_id = workspace AND other.contact_id = link.contact_id
                                    AND other.tag_id = target);
                DELETE FROM tags WHERE tenant_id = workspace AND id = tag.id;
            END IF;
            changed := changed + 1;
        END LOOP;
    END LOOP;
    RETURN changed;
END
$$;
REVOKE ALL ON FUNCTION normalize_tags_to_nfc() FROM PUBLIC;

SELECT normalize_tags_to_nfc();
