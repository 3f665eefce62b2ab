-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- Retention of a workspace's idempotency keys: those older than p_before, in batches of 5,000
-- rows (row locks only: a request recording a new key never waits). Answers how many.
CREATE OR REPLACE FUNCTION prune_idempotency_keys(p_tenant uuid, p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_pruned bigint := 0;
    v_batch bigint;
BEGIN
    PERFORM set_tenant(p_tenant);
    LOOP
        DELETE FROM idempotency_keys k
        WHERE k.tenant_id = p_tenant AND (k.tenant_id, k.key, k.method, k.path) IN (
            SELECT o.tenant_id, o.key, o.method, o.path FROM idempotency_keys o
            WHERE o.tenant_id = p_tenant AND o.created_at < p_before ORDER BY o.created_at LIMIT 5000);
        GET DIAGNOSTICS v_batch = ROW_COUNT;
        v_pruned := v_pruned + v_batch;
        EXIT WHEN v_batch < 5000;
    END LOOP;
    RETURN v_pruned;
END
$$;
