public import FoundationEssentials
public import PGStore
import Tracing

/// The contacts SQL. Every request is one transaction in one round trip: a call of a function that
/// sets the tenant itself (create and update, delegated to the tenant's node on Citus), or a
/// pipeline that sets it transaction-locally first, so row-level security scopes every statement.
public struct ContactStore: Sendable {
    let pool: ConnectionPool
    /// Told of every write that commits, so that long polls of the change feed wake.
    let signals: ChangeSignals

    public init(pool: ConnectionPool, signals: ChangeSignals = ChangeSignals()) {
        self.pool = pool
        self.signals = signals
    }

    /// Scopes the rest of the transaction to `tenant` for row-level security: `SET LOCAL`, which
    /// Citus forwards to the worker holding the tenant (`sql/migrations/017_baseline.sql` sets
    /// `citus.propagate_set_commands`), where `set_config` would stay on the coordinator. The
    /// UUID is the one the service resolved from the token, never client text, and a UUID's text
    /// is hex digits and hyphens only.
    static func tenantScope(_ tenant: UUID) -> PGQuery {
        PGQuery(.setLocal("app.tenant_id", tenant.uuidString))
    }

    /// The whole create-contact write, one call of `upsert_contact` (`sql/functions/upsert_contact.sql`): the tenant,
    /// the upsert, the tags and the links, one round trip, one implicit transaction. Nothing is
    /// written when nothing changed.
    static let upsertContact = PGStatement(
        "SELECT id, metadata, created_at, updated_at, inserted FROM upsert_contact($1, $2, $3, $4, $5, $6::jsonb, $7::text[])")

    /// The statement of one create-contact: what the service sends, and what the benchmark replays
    /// through pgbench.
    public static func upsertQuery(_ input: ContactInput, tenant: UUID, newID: ULID) -> PGQuery {
        PGQuery(upsertContact, [tenant, newID.uuid, input.phone, input.name, input.email, PGJSON(input.metadataJSON), input.tags])
    }

    /// Runs a pipeline on a connection of its own, again (up to 3 times in all) when it failed on
    /// a deadlock or a serialization failure: the whole transaction was rolled back, so running it
    /// again is safe. `tenant` says whose work it is, for the pool's fair shares.
    func pipeline(_ queries: [PGQuery], tenant: UUID) async throws -> [PGRows] {
        try await retryingTransientFailures(statements: queries.count) {
            try await pool.withConnection(lease: PoolLease(owner: tenant)) { try await $0.pipeline(queries) }
        }
    }

    /// Runs one statement (its own transaction) on a shared session, retried like
    /// ``pipeline(_:tenant:)``; `bulk` for large batches, which take a connection of their own
    /// (the pool caps them and serves them after interactive requests).
    func single(_ query: PGQuery, tenant: UUID, bulk: Bool = false) async throws -> PGRows {
        try await retryingTransientFailures(statements: 1) { try await pool.query(query, lease: PoolLease(owner: tenant, isBulk: bulk)) }
    }

    /// One database round trip, pool wait included, as the request span's child (a no-op when
    /// tracing is off: no tracer is bootstrapped).
    func retryingTransientFailures<T>(statements: Int, _ body: () async throws -> T) async throws -> T {
        try await withSpan("db pipeline", ofKind: .client) { span in
            span.attributes["db.system.name"] = "postgresql"
            span.attributes["db.operation.batch.size"] = statements
            var attempt = 1
            while true {
                do {
                    return try await body()
                } catch let error as PGError where error.sqlState?.isTransient == true && attempt < 3 {
                    span.addEvent(SpanEvent(name: "retry after SQLSTATE \(error.sqlState?.rawValue ?? "")"))
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(5 * attempt))
                }
            }
        }
    }

    /// Creates or replaces the contact with `input.phone` in `tenant`.
    public func upsert(_ input: ContactInput, tenant: UUID) async throws -> Contact {
        let rows = try await single(Self.upsertQuery(input, tenant: tenant, newID: ULID()), tenant: tenant)
        signals.changed(tenant)
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
