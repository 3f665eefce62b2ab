-- Webhooks (API.md "Sync"; DESIGN.md "Changes and webhooks"): a workspace's endpoints, the queue
-- of deliveries, and the log of attempts. Deliveries are fed from the change feed (migration 013)
-- by any instance, and sent by any instance, each by one at a time: a lease on the delivery.
--
-- Not distributed on Citus: finding due deliveries crosses workspaces, which row-level security
-- and Citus (no multi-shard FOR UPDATE) forbid on tenant tables; these stay tables of the
-- coordinator, like the import queue, small and claimed with FOR UPDATE SKIP LOCKED. Rows are
-- still tenant rows under row-level security for the application role, not forced on the owner:
-- the functions that look across workspaces (what to feed, what is due, retention) run as the
-- owner and answer only what the sender needs.

-- An endpoint: where, which events, its secret (and the one it replaced, which keeps signing for
-- 24 hours), whether it is enabled, and how far the feed has been turned into its deliveries.
CREATE TABLE webhook_endpoints (
    tenant_id uuid NOT NULL,
    -- A ULID: the list is in creation order.
    id uuid NOT NULL,
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 3
        AND events <@ ARRAY['contact.created', 'contact.updated', 'contact.deleted']),
    description text CHECK (char_length(description) <= 1000),
    secret bytea NOT NULL CHECK (octet_length(secret) BETWEEN 24 AND 64),
    previous_secret bytea,
    previous_secret_until timestamptz,
    status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason text,
    -- The feed position up to which deliveries have been queued.
    fed_through bigint NOT NULL,
    -- Since when every attempt has failed (NULL after a success): 5 days of it disables.
    failing_since timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- One change to deliver to one endpoint. The body is fixed when queued, so every attempt sends
-- the same bytes (only webhook-timestamp and the signature change).
CREATE TABLE webhook_deliveries (
    tenant_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    change_id uuid NOT NULL,
    change_position bigint NOT NULL,
    body text NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    next_attempt_at timestamptz,
    -- Who is sending it now, until when: a sender that died stops holding it at lease_until.
    lease_owner uuid,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, endpoint_id, change_id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
-- An endpoint's next due deliveries, and those in flight (a lease is set while a sender holds
-- one): a claim probes each per endpoint, whatever its backlog.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, endpoint_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (tenant_id, endpoint_id) WHERE lease_until IS NOT NULL;
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';

-- Every attempt, for the deliveries list (newest first).
CREATE TABLE webhook_attempts (
    tenant_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    -- A ULID: the list is newest first by id.
    id uuid NOT NULL,
    change_id uuid NOT NULL,
    attempt int NOT NULL,
    status_code int,
    error text,
    duration_ms int NOT NULL,
    next_attempt_at timestamptz,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, endpoint_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_by_time ON webhook_attempts (attempted_at);

DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format($policy$
            CREATE POLICY tenant_isolation ON %I
                USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
                WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
            $policy$, v_table);
    END LOOP;
    -- On one PostgreSQL an endpoint goes with its workspace. (On Citus a key from a coordinator
    -- table to a reference table would turn it into a Citus table: there the rows of a deleted
    -- workspace stay until its endpoints are deleted.)
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        ALTER TABLE webhook_endpoints ADD FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    END IF;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries TO contacts_app;
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO contacts_app;

-- The enabled endpoints, for feeding (any workspace): ids and positions only.
CREATE FUNCTION webhook_endpoints_to_feed() RETURNS TABLE (tenant_id uuid, endpoint_id uuid, fed_through bigint, events text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.tenant_id, e.id, e.fed_through, e.events FROM webhook_endpoints e WHERE e.status = 'enabled'
    ORDER BY e.tenant_id, e.id;
$$;

-- Claims up to p_limit due deliveries of enabled endpoints (any workspace) for p_owner until
-- p_lease from now, counting the attempt: the oldest due first, and no endpoint past
-- p_per_endpoint deliveries in flight (a slow receiver holds its own share of the senders, never
-- all of them). Claims are taken one at a time over all instances (a transaction lock), so that
-- share holds whoever claims. What the sender needs to send and sign, nothing else.
CREATE FUNCTION claim_webhook_deliveries(p_owner uuid, p_limit int, p_per_endpoint int, p_lease interval)
RETURNS TABLE (
    tenant_id uuid, endpoint_id uuid, change_id uuid, attempt int, body text, url text,
    secret bytea, previous_secret bytea
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('webhook deliveries: claims', 0));
    RETURN QUERY
    -- Per enabled endpoint, two index probes: its deliveries in flight, and its oldest due ones
    -- up to its free share. An endpoint's backlog (a dead receiver's, bounded only by retention)
    -- costs a claim nothing: scanning every due delivery took 0.4 s at 100,000 of them.
    WITH waiting AS (
        SELECT next.tenant_id, next.endpoint_id, next.change_id, next.next_attempt_at
        FROM webhook_endpoints e
        CROSS JOIN LATERAL (
            SELECT count(*) AS in_flight FROM webhook_deliveries b
            WHERE b.tenant_id = e.tenant_id AND b.endpoint_id = e.id AND b.lease_until IS NOT NULL
              AND b.status = 'pending' AND b.lease_until >= now()
        ) AS busy
        CROSS JOIN LATERAL (
            SELECT d.tenant_id, d.endpoint_id, d.change_id, d.next_attempt_at FROM webhook_deliveries d
            WHERE d.tenant_id = e.tenant_id AND d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= now()
              AND (d.lease_until IS NULL OR d.lease_until < now())
            ORDER BY d.next_attempt_at
            LIMIT greatest(p_per_endpoint - busy.in_flight, 0)
        ) AS next
        WHERE e.status = 'enabled'
    ), due AS (
        SELECT d.tenant_id, d.endpoint_id, d.change_id
        FROM webhook_deliveries d
        JOIN waiting w ON w.tenant_id = d.tenant_id AND w.endpoint_id = d.endpoint_id AND w.change_id = d.change_id
        ORDER BY w.next_attempt_at
        LIMIT p_limit
        FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
        UPDATE webhook_deliveries d
        SET lease_owner = p_owner, lease_until = now() + p_lease, attempts = d.attempts + 1
        FROM due
        WHERE d.tenant_id = due.tenant_id AND d.endpoint_id = due.endpoint_id AND d.change_id = due.change_id
        RETURNING d.tenant_id, d.endpoint_id, d.change_id, d.attempts, d.body
    )
    SELECT claimed.tenant_id, claimed.endpoint_id, claimed.change_id, claimed.attempts, claimed.body, e.url, e.secret,
           CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END
    FROM claimed JOIN webhook_endpoints e ON e.tenant_id = claimed.tenant_id AND e.id = claimed.endpoint_id;
END
$$;

-- An attempt's outcome, written only while the sender still holds the lease: the attempt logged;
-- the delivery done, failed for good, or due again at p_next_attempt_at; the endpoint's failing
-- streak ended or extended, and the endpoint disabled on 410 or after 5 days of failures.
CREATE FUNCTION finish_webhook_attempt(
    p_tenant uuid, p_endpoint uuid, p_change uuid, p_owner uuid, p_attempt_id uuid, p_status_code int, p_error text,
    p_duration_ms int, p_succeeded boolean, p_gone boolean, p_next_attempt_at timestamptz
) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_attempt int;
BEGIN
    PERFORM set_tenant(p_tenant);
    UPDATE webhook_deliveries d
    SET status = CASE WHEN p_succeeded THEN 'succeeded' WHEN p_next_attempt_at IS NULL THEN 'failed' ELSE 'pending' END,
        next_attempt_at = CASE WHEN p_succeeded THEN NULL ELSE p_next_attempt_at END,
        finished_at = CASE WHEN p_succeeded OR p_next_attempt_at IS NULL THEN now() END,
        lease_owner = NULL, lease_until = NULL
    WHERE d.tenant_id = p_tenant AND d.endpoint_id = p_endpoint AND d.change_id = p_change AND d.lease_owner = p_owner
    RETURNING d.attempts INTO v_attempt;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO webhook_attempts (tenant_id, endpoint_id, id, change_id, attempt, status_code, error, duration_ms, next_attempt_at)
    VALUES (p_tenant, p_endpoint, p_attempt_id, p_change, v_attempt, p_status_code, p_error, p_duration_ms,
            CASE WHEN p_succeeded THEN NULL ELSE p_next_attempt_at END);
    IF p_succeeded THEN
        UPDATE webhook_endpoints e SET failing_since = NULL
        WHERE e.tenant_id = p_tenant AND e.id = p_endpoint AND e.failing_since IS NOT NULL;
    ELSE
        UPDATE webhook_endpoints e
        SET failing_since = coalesce(e.failing_since, now()),
            status = CASE WHEN p_gone OR e.failing_since < now() - interval '5 days' THEN 'disabled' ELSE e.status END,
            disabled_reason = CASE
                WHEN p_gone THEN 'the endpoint answered 410 Gone'
                WHEN e.failing_since < now() - interval '5 days' THEN 'every delivery failed for 5 days'
                ELSE e.disabled_reason END
        WHERE e.tenant_id = p_tenant AND e.id = p_endpoint;
    END IF;
    RETURN true;
END
$$;

-- A sender stopping (graceful shutdown) hands its deliveries back at once, due again now, their
-- attempt not counted.
CREATE FUNCTION release_webhook_deliveries(p_owner uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1
    WHERE lease_owner = p_owner AND status = 'pending';
$$;

-- Retention: finished deliveries and attempts older than p_before, a batch at a time.
CREATE FUNCTION prune_webhook_history(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_deliveries bigint;
    v_attempts bigint;
BEGIN
    DELETE FROM webhook_deliveries d WHERE (d.tenant_id, d.endpoint_id, d.change_id) IN (
        SELECT old.tenant_id, old.endpoint_id, old.change_id FROM webhook_deliveries old
        WHERE old.status <> 'pending' AND old.finished_at < p_before LIMIT 5000);
    GET DIAGNOSTICS v_deliveries = ROW_COUNT;
    DELETE FROM webhook_attempts a WHERE (a.tenant_id, a.endpoint_id, a.id) IN (
        SELECT old.tenant_id, old.endpoint_id, old.id FROM webhook_attempts old WHERE old.attempted_at < p_before LIMIT 5000);
    GET DIAGNOSTICS v_attempts = ROW_COUNT;
    RETURN v_deliveries + v_attempts;
END
$$;

REVOKE EXECUTE ON FUNCTION webhook_endpoints_to_feed(), claim_webhook_deliveries(uuid, int, int, interval),
    release_webhook_deliveries(uuid), prune_webhook_history(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION webhook_endpoints_to_feed(), claim_webhook_deliveries(uuid, int, int, interval),
    release_webhook_deliveries(uuid), prune_webhook_history(timestamptz) TO contacts_app;
