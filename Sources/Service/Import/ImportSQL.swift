import PGStore

/// The import's statements: a batch is COPYed into `import_staging` under the writer's key, then
/// written by one call of `import_staged_contacts` (migration 009: set-wise upserts of the latest
/// row per phone, tags, links; the batch removed), delegated to the tenant's node on Citus.
enum ImportSQL {
    static let copy = "COPY import_staging (tenant_id, writer, row_number, id, phone, name, email, tags, metadata) FROM STDIN"

    /// Answers how many contacts were created and updated, and how many distinct phones the
    /// batch had.
    static let writeBatch = PGStatement("SELECT created, updated, phones FROM import_staged_contacts($1, $2)")

    /// A batch whose write failed: its staged rows go.
    static let discardBatch = PGStatement("DELETE FROM import_staging WHERE tenant_id = $1 AND writer = $2")

    /// Rows staged by an import that died (a crash between the COPY and the call) are removed by
    /// the next import of the same workspace: no import holds a batch for an hour.
    static let discardAbandoned = PGStatement(
        "DELETE FROM import_staging WHERE tenant_id = $1 AND staged_at < now() - interval '1 hour'")
}
