-- The tag list by name in bytewise order (API.md "Tags, paginated and managed"), a page at a time
-- and by prefix: an index in the order the list reads, whatever the database's collation.
-- (In a block: Citus sends a statement on a distributed table to its workers as the text of the
-- statement it came in, which outside a block is this whole file.)
-- On Citus, every step over one connection per node (no effect on plain PostgreSQL).
SELECT set_config('citus.multi_shard_modify_mode', 'sequential', true);
DO $$ BEGIN EXECUTE 'CREATE INDEX tags_by_name_bytes ON tags (tenant_id, (name COLLATE "C"))'; END $$;
-- tag_counts(uuid) answered every tag at once; list_tags (sql/functions/tags.sql) pages them.
DROP FUNCTION IF EXISTS tag_counts(uuid);
