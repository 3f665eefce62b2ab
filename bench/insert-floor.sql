-- The database's floor for one imported contact: a plain INSERT … SELECT of 20,000 new contacts
-- and of their 2 tag links each (no upsert, no staging, no lookups), with the schema's indexes,
-- checks, foreign keys and row-level security, as the schema owner. Rolled back. psql prints
-- the two statements' execution times (EXPLAIN ANALYZE without per-node timing).
\set ON_ERROR_STOP on
BEGIN;
SELECT set_config('app.tenant_id', :'tenant', true) \gset
INSERT INTO tags (tenant_id, name) SELECT :'tenant', 'floor-' || i FROM generate_series(0, 20) i ON CONFLICT DO NOTHING;
CREATE TEMP TABLE floor_rows ON COMMIT DROP AS
  SELECT gen_random_uuid() AS id, '+1629' || (2000000 + i) AS phone, 'Floor ' || i AS name,
         'f' || i || '@example.com' AS email, jsonb_build_object('ltv', i) AS metadata,
         ARRAY['floor-0', 'floor-' || (1 + i % 20)] AS tags
  FROM generate_series(1, 20000) i;
EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, SUMMARY ON)
  INSERT INTO contacts (tenant_id, id, phone, name, email, metadata)
  SELECT :'tenant', id, phone, name, email, metadata FROM floor_rows;
EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, SUMMARY ON)
  INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
  SELECT :'tenant', r.id, t.id, g.position
  FROM floor_rows r, unnest(r.tags) WITH ORDINALITY AS g(name, position)
  JOIN tags t ON t.tenant_id = :'tenant' AND t.name = g.name;
ROLLBACK;
