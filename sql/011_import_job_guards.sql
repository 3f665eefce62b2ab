-- Import jobs that take a process down, and error reports past their cap (issue "the bulk paths
-- under attack"):
-- crashed_runs: runs that began (status 'running') and were found still running by the next
-- claim: their instance died or lost its lease mid-run. Two such runs fail the job for good, so
-- a file that crashes the service cannot do it in a loop.
-- errors_omitted: errors past the report's cap (the job counts them; the report says how many
-- it leaves out in its last line).
-- Added columns with constant defaults: no rewrite of the table, on one PostgreSQL or on Citus
-- (which forwards the ALTER to every shard).
ALTER TABLE import_jobs ADD COLUMN crashed_runs int NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN errors_omitted bigint NOT NULL DEFAULT 0;
