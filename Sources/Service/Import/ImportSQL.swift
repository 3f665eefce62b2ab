import PGStore

/// The import's statements: a batch is COPYed into `import_staging` under the writer's key, then
/// written by one call of `import_staged_contacts` (`sql/functions/import_staging.sql`: set-wise upserts of the
/// latest row per phone, tags, links; the batch removed), delegated to the tenant's node on Citus.
/// The application role may only COPY in; reading and removing staged rows is left to functions
/// that run as the owner, limited to the caller's (tenant, writer).
enum ImportSQL {
    static let copy = "COPY import_staging (tenant_id, writer, row_number, id, phone, name, email, tags, metadata) FROM STDIN"

    /// Answers the phones the batch created and updated, and how many distinct phones it had;
    /// `$3`…`$6` say whether the file has the name, email, tags and metadata columns.
    static let writeBatch = PGStatement(
        "SELECT created_phones, updated_phones, phones FROM import_staged_contacts($1, $2, $3, $4, $5, $6)")

    /// A batch whose write failed: its staged rows go.
    static let discardBatch = PGStatement("SELECT discard_staged_batch($1, $2)")

    /// Rows staged by an import that died (a crash between the COPY and the call) are removed by
    /// the next import of the same workspace: no import holds a batch for an hour.
    static let discardAbandoned = PGStatement("SELECT discard_abandoned_staging($1)")
}
