-- One schema for one PostgreSQL and for Citus (API.md, "Scale-out").
--
-- Policies without a subquery: Citus refuses subqueries in the policies of distributed tables.
-- current_setting() stays strict (no missing_ok): a statement run without a tenant fails.
ALTER POLICY tenant_isolation ON contacts
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
ALTER POLICY tenant_isolation ON tags
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);
ALTER POLICY tenant_isolation ON contact_tags
    USING (tenant_id = current_setting('app.tenant_id')::uuid)
    WITH CHECK (tenant_id = current_setting('app.tenant_id')::uuid);

-- On a database with the citus extension: the tenant tables distributed by tenant_id and
-- co-located (a tenant's contacts, tags and links on one node), the account tables replicated to
-- every node, and the write functions delegated to the node holding their p_tenant, so that a
-- whole write runs there in one hop. On plain PostgreSQL: nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    -- All of this is one transaction: Citus must do it over one connection per node.
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- Citus checks foreign keys against the shards while it distributes, as the owner: forced
    -- row-level security would make it ask for a tenant. Forced again below.
    ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE tags NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE contact_tags NO FORCE ROW LEVEL SECURITY;
    -- A table is distributed only when the tables its keys point to are distributed or reference
    -- tables already: the keys come off, and are put back once every table has its place.
    ALTER TABLE contacts DROP CONSTRAINT contacts_tenant_id_fkey;
    ALTER TABLE tags DROP CONSTRAINT tags_tenant_id_fkey;
    ALTER TABLE contact_tags DROP CONSTRAINT contact_tags_tenant_id_contact_id_fkey,
                             DROP CONSTRAINT contact_tags_tenant_id_tag_id_fkey;
    ALTER TABLE workspaces DROP CONSTRAINT workspaces_account_id_fkey;
    ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_account_id_fkey;

    PERFORM create_reference_table('accounts');
    PERFORM create_reference_table('workspaces');
    PERFORM create_reference_table('api_tokens');
    PERFORM create_distributed_table('contacts', 'tenant_id');
    PERFORM create_distributed_table('tags', 'tenant_id', colocate_with := 'contacts');
    PERFORM create_distributed_table('contact_tags', 'tenant_id', colocate_with := 'contacts');

    ALTER TABLE workspaces ADD CONSTRAINT workspaces_account_id_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
    ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_account_id_fkey
        FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE;
    ALTER TABLE contacts ADD CONSTRAINT contacts_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE tags ADD CONSTRAINT tags_tenant_id_fkey
        FOREIGN KEY (tenant_id) REFERENCES workspaces (id) ON DELETE CASCADE;
    ALTER TABLE contact_tags ADD CONSTRAINT contact_tags_tenant_id_contact_id_fkey
        FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE;
    ALTER TABLE contact_tags ADD CONSTRAINT contact_tags_tenant_id_tag_id_fkey
        FOREIGN KEY (tenant_id, tag_id) REFERENCES tags (tenant_id, id) ON DELETE CASCADE;

    ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
    ALTER TABLE tags FORCE ROW LEVEL SECURITY;
    ALTER TABLE contact_tags FORCE ROW LEVEL SECURITY;

    -- The tenant reaches the workers: SET LOCAL (not set_config) is forwarded to the nodes a
    -- transaction touches when this is 'local' (ContactStore.tenantScope).
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = local', current_database());

    PERFORM create_distributed_function('upsert_contact(uuid,uuid,text,text,text,jsonb,text[])',
        'p_tenant', colocate_with := 'contacts');
    PERFORM create_distributed_function(
        'update_contact(uuid,text,boolean,text,boolean,text,text,jsonb,boolean,text[],text[],text[])',
        'p_tenant', colocate_with := 'contacts');
    PERFORM create_distributed_function(
        'upsert_contacts(uuid,uuid[],text[],text[],text[],jsonb[],int[],text[],int[],text[])',
        'p_tenant', colocate_with := 'contacts');
END
$$;
