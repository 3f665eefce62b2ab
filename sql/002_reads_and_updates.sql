-- What the rest of the API needs: indexes for every list filter at a million contacts per tenant,
-- and RFC 7396 JSON merge patch done in SQL (so concurrent updates never read-modify-write).

CREATE INDEX contacts_by_email ON contacts (tenant_id, email, id) WHERE email IS NOT NULL;
CREATE INDEX contacts_by_updated_at ON contacts (tenant_id, updated_at, id);

-- RFC 7396: an object patch merges key by key (null removes), anything else replaces.
CREATE FUNCTION jsonb_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result jsonb;
    k text;
    v jsonb;
BEGIN
    IF jsonb_typeof(patch) IS DISTINCT FROM 'object' THEN
        RETURN patch;
    END IF;
    result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
    FOR k, v IN SELECT key, value FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(v) = 'null' THEN
            result := result - k;
        ELSE
            result := jsonb_set(result, ARRAY[k], jsonb_merge_patch(result -> k, v), true);
        END IF;
    END LOOP;
    RETURN result;
END
$$;
