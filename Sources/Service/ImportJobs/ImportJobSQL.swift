import PGStore

/// The statements of import jobs. The tenant's (``ImportJobStore``) run after `SET LOCAL
/// app.tenant_id` in one pipelined transaction and name `tenant_id = $1` too, so Citus sends each
/// to the tenant's node; the queue's (``ImportQueueSQL``) touch `import_queue` alone.
enum ImportJobSQL {
    static let insertJob = PGStatement(
        "INSERT INTO import_jobs (tenant_id, id, upload_bytes, upload_chunks) VALUES ($1, $2, 0, 0)")
    static let insertChunk = PGStatement(
        "INSERT INTO import_uploads (tenant_id, job_id, seq, data) VALUES ($1, $2, $3, $4::bytea)")
    static let sealUpload = PGStatement(
        "UPDATE import_jobs SET upload_bytes = $3, upload_chunks = $4 WHERE tenant_id = $1 AND id = $2 RETURNING \(ImportJob.columns)")
    static let byID = PGStatement("SELECT \(ImportJob.columns) FROM import_jobs WHERE tenant_id = $1 AND id = $2")
    static let firstPage = PGStatement(
        "SELECT \(ImportJob.columns) FROM import_jobs WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2")
    static let pageBefore = PGStatement(
        "SELECT \(ImportJob.columns) FROM import_jobs WHERE tenant_id = $1 AND id < $2::uuid ORDER BY id DESC LIMIT $3")
    static let exists = PGStatement("SELECT purged_at, errors_omitted FROM import_jobs WHERE tenant_id = $1 AND id = $2")
    static let errorsPage = PGStatement(
        """
        SELECT row_number, seq, field, reason FROM import_errors
        WHERE tenant_id = $1 AND job_id = $2 AND (row_number, seq) > ($3::bigint, $4::int)
        ORDER BY row_number, seq LIMIT $5
        """)

    /// A run begins: the counts and the error report of an earlier, interrupted run go. A job
    /// found `running` was left so by a run that never ended: its instance crashed (or lost the
    /// lease), counted in `crashed_runs`.
    static let start = PGStatement(
        """
        UPDATE import_jobs SET status = 'running', attempts = attempts + 1, started_at = now(), error = NULL,
            crashed_runs = crashed_runs + CASE WHEN status = 'running' THEN 1 ELSE 0 END, errors_omitted = 0,
            rows_read = 0, rows_created = 0, rows_updated = 0, rows_unchanged = 0, rows_superseded = 0, rows_invalid = 0
        WHERE tenant_id = $1 AND id = $2 AND finished_at IS NULL
        RETURNING upload_chunks, attempts - stopped_runs AS failed_or_current, crashed_runs
        """)
    static let errorsOmitted = PGStatement("UPDATE import_jobs SET errors_omitted = $3 WHERE tenant_id = $1 AND id = $2")
    static let discardErrors = PGStatement("DELETE FROM import_errors WHERE tenant_id = $1 AND job_id = $2")
    static let chunk = PGStatement("SELECT data FROM import_uploads WHERE tenant_id = $1 AND job_id = $2 AND seq = $3")
    static let progress = PGStatement("UPDATE import_jobs SET rows_read = greatest(rows_read, $3) WHERE tenant_id = $1 AND id = $2")
    /// Inside a CTE: on Citus a bare INSERT … SELECT from arrays goes through the coordinator as a
    /// COPY, which row-level security refuses; as a data-modifying CTE it is one router statement.
    static let insertErrors = PGStatement(
        """
        WITH written AS (
            INSERT INTO import_errors (tenant_id, job_id, row_number, seq, field, reason)
            SELECT $1, $2, e.row_number, e.seq, e.field, e.reason
            FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[]) AS e(row_number, seq, field, reason)
            RETURNING 1
        )
        SELECT count(*) FROM written
        """)
    static let finish = PGStatement(
        """
        UPDATE import_jobs SET status = $3, rows_read = $4, rows_created = $5, rows_updated = $6, rows_unchanged = $7,
            rows_superseded = $8, rows_invalid = $9, error = $10, finished_at = now()
        WHERE tenant_id = $1 AND id = $2
        """)
    static let fail = PGStatement(
        "UPDATE import_jobs SET status = 'failed', error = $3, finished_at = now() WHERE tenant_id = $1 AND id = $2")
    /// Back in the queue: a run that failed on the database (`$3` false), or one stopped at a
    /// graceful shutdown (`$3` true), which is not held against the job.
    static let requeue = PGStatement(
        """
        UPDATE import_jobs SET status = 'queued', stopped_runs = stopped_runs + CASE WHEN $3 THEN 1 ELSE 0 END
        WHERE tenant_id = $1 AND id = $2 AND finished_at IS NULL
        """)
    static let purgeUpload = PGStatement("DELETE FROM import_uploads WHERE tenant_id = $1 AND job_id = $2")
    static let purgeErrors = PGStatement("DELETE FROM import_errors WHERE tenant_id = $1 AND job_id = $2")
    static let markPurged = PGStatement("UPDATE import_jobs SET purged_at = now() WHERE tenant_id = $1 AND id = $2")
}

/// `import_queue`: the one table an instance reads across tenants, naming job and tenant ids only.
enum ImportQueueSQL {
    static let enqueue = PGStatement("INSERT INTO import_queue (job_id, tenant_id) VALUES ($1, $2)")
    /// The oldest job nobody holds (never leased, or its lease ran out), held by `$1` for `$2`
    /// seconds; `$3`, when not null, takes only that workspace's (tests running side by side).
    static let claim = PGStatement(
        """
        UPDATE import_queue q SET lease_owner = $1, lease_until = now() + make_interval(secs => $2)
        WHERE q.job_id = (
            SELECT w.job_id FROM import_queue w
            WHERE w.finished_at IS NULL AND (w.lease_until IS NULL OR w.lease_until < now())
              AND ($3::uuid IS NULL OR w.tenant_id = $3)
            ORDER BY w.enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING q.job_id, q.tenant_id
        """)
    static let renew = PGStatement(
        "UPDATE import_queue SET lease_until = now() + make_interval(secs => $3) WHERE job_id = $1 AND lease_owner = $2")
    static let release = PGStatement(
        "UPDATE import_queue SET lease_owner = NULL, lease_until = NULL WHERE job_id = $1 AND lease_owner = $2")
    static let finish = PGStatement(
        "UPDATE import_queue SET finished_at = now(), lease_owner = NULL, lease_until = NULL WHERE job_id = $1 AND lease_owner = $2")
    static let expired = PGStatement(
        """
        SELECT job_id, tenant_id FROM import_queue
        WHERE finished_at < $1::timestamptz AND ($2::uuid IS NULL OR tenant_id = $2)
        ORDER BY finished_at LIMIT 100
        """)
    static let forget = PGStatement("DELETE FROM import_queue WHERE job_id = $1")
}
