-- Idempotency-Key (API.md "Retrying safely"): the answer a POST gave, kept 24 hours for the
-- workspace, method, path and key, written in the same transaction as the request's own writes,
-- so a crash keeps neither or both. A tenant table: under row-level security, and on Citus
-- distributed with the contacts, so the request's writes and its answer commit on one node.
-- On Citus, every step over one connection per node (no effect on plain PostgreSQL).
SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true);
CREATE TABLE idempotency_keys (
    tenant_id uuid NOT NULL,
    key text NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 255),
    method text NOT NULL,
    path text NOT NULL,
    -- SHA-256 of the request's body: the same key with another body is refused.
    request_digest bytea NOT NULL,
    status smallint NOT NULL,
    -- The answer's headers as name, value, name, value… (but Date, X-Request-Id, RateLimit-*).
    headers text[] NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key, method, path)
);
-- Retention, oldest first within a workspace.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (tenant_id, created_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO contacts_app;
DO $$
BEGIN
    EXECUTE 'ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY';
    EXECUTE $policy$
        CREATE POLICY tenant_isolation ON idempotency_keys
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        $policy$;
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        -- Forced on one PostgreSQL, as every tenant table (017_baseline.sql says why not on Citus).
        EXECUTE 'ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY';
        EXECUTE 'ALTER TABLE idempotency_keys ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE';
        RETURN;
    END IF;
    PERFORM create_distributed_table('idempotency_keys', 'tenant_id', colocate_with := 'contacts');
    EXECUTE 'ALTER TABLE idempotency_keys ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE';
END
$$;
