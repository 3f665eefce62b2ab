-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).

-- The webhook sender's steps (the tables: sql/migrations/017_baseline.sql). Those that look across
-- workspaces run as the owner and answer only what the sender needs.
-- The enabled endpoints, for feeding (any workspace): ids and positions only.
CREATE OR REPLACE FUNCTION webhook_endpoints_to_feed() RETURNS TABLE (tenant_id uuid, endpoint_id uuid, fed_through bigint, events text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.tenant_id, e.id, e.fed_through, e.events FROM webhook_endpoints e WHERE e.status = 'enabled'
    ORDER BY e.tenant_id, e.id;
$$;

-- Claims up to p_limit due deliveries of enabled endpoints (any workspace) for p_owner until
-- p_lease from now, counting the attempt: the oldest due first, and no endpoint past
-- p_per_endpoint deliveries in flight (a slow receiver holds its own share of the senders, never
-- all of them). Claims are taken one at a time over all instances (a transaction lock), so that
-- share holds whoever claims. What the sender needs to send and sign, nothing else.
CREATE OR REPLACE FUNCTION claim_webhook_deliveries(p_owner uuid, p_limit int, p_per_endpoint int, p_lease interval)
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
CREATE OR REPLACE FUNCTION finish_webhook_attempt(
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
CREATE OR REPLACE FUNCTION release_webhook_deliveries(p_owner uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1
    WHERE lease_owner = p_owner AND status = 'pending';
$$;

-- Retention: finished deliveries and attempts older than p_before, a batch at a time.
CREATE OR REPLACE FUNCTION prune_webhook_history(p_before timestamptz) RETURNS bigint
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
