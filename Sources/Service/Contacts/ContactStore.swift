public import FoundationEssentials
public import PGStore

/// The contacts SQL. Every write is one transaction in one round trip (a pipeline), with the
/// tenant set transaction-locally so row-level security scopes every statement.
public struct ContactStore: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    static let setTenant = PGStatement("SELECT set_config('app.tenant_id', $1, true)")

    /// The whole create-contact write, one call of `upsert_contact` (migration 005): the tenant,
    /// the upsert, the tags and the links, one round trip, one implicit transaction. Nothing is
    /// written when nothing changed.
    static let upsertContact = PGStatement(
        "SELECT id, metadata, created_at, updated_at, inserted FROM upsert_contact($1, $2, $3, $4, $5, $6::jsonb, $7::text[])")

    /// Creates missing tags. The names arrive sorted, so concurrent writers lock tag rows in the
    /// same order and cannot deadlock; existing tags are left alone (no read-modify-write).
    static let insertTags = PGStatement(
        """
        INSERT INTO tags (tenant_id, name)
        SELECT $1, name FROM unnest($2::text[]) AS given(name)
        ON CONFLICT (tenant_id, name) DO NOTHING
        """)

    /// The end of create-contacts' link statement: given CTEs `contact`
    /// (the ids of the contacts written) and `wanted` (`contact_id`, `tag_id`, `position`), removes
    /// the links not wanted and adds or re-orders the rest. Driven by those contacts (an index scan
    /// by id, a hashed `NOT IN`), never by a scan of the tenant's links.
    static let linkWanted = """
        , removed AS (
            DELETE FROM contact_tags ct
            WHERE ct.tenant_id = $1 AND ct.contact_id = ANY (ARRAY(SELECT id FROM contact))
              AND (ct.contact_id, ct.tag_id) NOT IN (SELECT contact_id, tag_id FROM wanted)
        )
        INSERT INTO contact_tags (tenant_id, contact_id, tag_id, position)
        SELECT $1, contact_id, tag_id, position FROM wanted
        ON CONFLICT (tenant_id, contact_id, tag_id) DO UPDATE SET position = EXCLUDED.position
        WHERE contact_tags.position <> EXCLUDED.position
        """

    /// The statement of one create-contact: what the service sends, and what the benchmark replays
    /// through pgbench.
    public static func upsertQuery(_ input: ContactInput, tenant: UUID, newID: ULID) -> PGQuery {
        PGQuery(upsertContact, [tenant, newID.uuid, input.phone, input.name, input.email, PGJSON(input.metadataJSON), input.tags])
    }

    /// Runs a pipeline, again (up to 3 times in all) when it failed on a deadlock or a
    /// serialization failure: the whole transaction was rolled back, so running it again is safe.
    /// `tenant` and `bulk` say whose work it is, for the pool's fair shares.
    func pipeline(_ queries: [PGQuery], tenant: UUID, bulk: Bool = false) async throws -> [PGRows] {
        try await retryingTransientFailures(PoolLease(owner: tenant, isBulk: bulk)) { try await $0.pipeline(queries) }
    }

    /// Runs one statement (its own transaction), retried like ``pipeline(_:tenant:bulk:)``.
    func single(_ query: PGQuery, tenant: UUID) async throws -> PGRows {
        try await retryingTransientFailures(PoolLease(owner: tenant)) { try await $0.query(query) }
    }

    private func retryingTransientFailures<T>(_ lease: PoolLease, _ body: (PGConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await pool.withConnection(lease: lease, body)
            } catch let error as PGError where error.sqlState?.isTransient == true && attempt < 3 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// Creates or replaces the contact with `input.phone` in `tenant`.
    public func upsert(_ input: ContactInput, tenant: UUID) async throws -> Contact {
        let rows = try await single(Self.upsertQuery(input, tenant: tenant, newID: ULID()), tenant: tenant)
        guard let row = rows.first else {
            throw PGError(kind: .unexpectedResponse, message: "the upsert returned no row")
        }
        return Contact(
            id: ULID(uuid: try row.decode(UUID.self, column: "id")),
            phone: input.phone,
            name: input.name,
            email: input.email,
            tags: input.tags,
            metadataJSON: try row.decode(String.self, column: "metadata"),
            created: try row.decode(Bool.self, column: "inserted"),
            createdAt: try row.decode(Date.self, column: "created_at"),
            updatedAt: try row.decode(Date.self, column: "updated_at")
        )
    }
}
