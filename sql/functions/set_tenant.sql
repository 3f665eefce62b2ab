-- Repeatable: applied again with CREATE OR REPLACE whenever this file changes (sql/README.md).
-- A write function sets its tenant with SET LOCAL rather than set_config(). Citus runs a call on
-- the node holding the tenant when it can; a call that reaches a node just after the tenant's
-- shards left it (a move switching over) runs there and sends its statements on to the new node,
-- and only a SET LOCAL (citus.propagate_set_commands = local) goes with them, and only when Citus
-- sees it run inside a query (a function called by a statement), not as a statement of the
-- function itself: hence this small function, called by PERFORM. With set_config() those
-- statements ran without a tenant, and, now that an unset tenant sees no rows, an update answered
-- 404 for a contact that exists and an insert was refused (measured under load during moves:
-- CitusGrowthTests). On Citus the function itself carries citus.propagate_set_commands = local
-- (sql/distribute_functions.sql), on every node, whichever runs the call.
CREATE OR REPLACE FUNCTION set_tenant(p_tenant uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL app.tenant_id = %L', p_tenant);
END
$$;
