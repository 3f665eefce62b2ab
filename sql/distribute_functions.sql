-- On Citus, where each function runs: applied after the functions whenever a migration, a
-- function file or this file was applied (sql/README.md). Idempotent: create_distributed_function
-- on a distributed function only sets its distribution again. On one PostgreSQL: nothing.
--
-- The functions that take a tenant and touch its rows are delegated to the node holding p_tenant
-- (co-located with the contacts), so a whole call runs there in one hop, one task on one node.
-- The functions that look across workspaces (the webhook sender's, feeds_with_changes) stay on
-- the coordinator.
DO $$
DECLARE
    v_function text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    FOREACH v_function IN ARRAY ARRAY[
        'read_contact(uuid,uuid)',
        'list_contacts(uuid,text,text,text,timestamptz,uuid,int)',
        'list_tags(uuid,text,text,int)',
        'import_staged_contacts(uuid,uuid,boolean,boolean,boolean,boolean)',
        'discard_staged_batch(uuid,uuid)',
        'discard_abandoned_staging(uuid)',
        'read_changes(uuid,bigint,int,uuid[])',
        'prune_changes(uuid,timestamptz)',
        'number_feed(uuid)',
        'prune_idempotency_keys(uuid,timestamptz)',
        'upsert_contact(uuid,uuid,text,text,text,jsonb,text[])',
        'update_contact(uuid,text,uuid,text,boolean,text,boolean,text,text,jsonb,boolean,text[],text[],text[])',
        'upsert_contacts(uuid,uuid[],text[],text[],text[],jsonb[],int[],text[],int[],text[])',
        'delete_contact(uuid,text,uuid)',
        'begin_tag_change(uuid,text,text)',
        'move_tag_links(uuid,bigint,bigint,uuid,int)',
        'end_tag_change(uuid,bigint,bigint)'
    ] LOOP
        PERFORM create_distributed_function(v_function::regprocedure, 'p_tenant', colocate_with := 'contacts');
    END LOOP;
    -- Not force_delegation: it would delegate these inside an Idempotency-Key's transaction block
    -- too, but Citus then requires every query of the call to filter by the delegated argument's
    -- own name, which the helpers these call do not (measured: 0A000 on every create-contact,
    -- pipelined or not). Inside a transaction block the call runs from the coordinator instead.
    -- set_tenant's SET LOCAL goes with the statements a call sends on to another node
    -- (sql/functions/set_tenant.sql says why), on every node, whichever runs the call. Citus's
    -- settings exist only where it is loaded, hence here and not in the function's file.
    EXECUTE 'ALTER FUNCTION set_tenant(uuid) SET citus.propagate_set_commands = local';
END
$$;
