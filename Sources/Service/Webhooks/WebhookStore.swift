import Digests
public import FoundationEssentials
public import PGStore

/// The webhooks' SQL (tables: `sql/migrations/017_baseline.sql`; functions: `sql/functions/webhooks.sql`): endpoints and the deliveries list for the API, as the
/// application role in the caller's workspace; feeding, claiming and finishing deliveries for
/// ``WebhookDispatcher``.
public struct WebhookStore: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    static let endpointColumns = "id, url, events, description, status, disabled_reason, created_at"

    /// Statements of one workspace, after its SET LOCAL, in one transaction and round trip.
    private func inTenant(_ tenant: UUID, _ queries: [PGQuery]) async throws -> [PGRows] {
        try await pool.withConnection(lease: PoolLease(owner: tenant)) { connection in
            try await connection.pipeline([ContactStore.tenantScope(tenant)] + queries)
        }.dropFirst().map { $0 }
    }

    static func endpoint(_ row: PGRow) throws -> WebhookEndpoint {
        WebhookEndpoint(
            id: ULID(uuid: try row.decode(UUID.self, column: "id")), url: try row.decode(String.self, column: "url"),
            events: try row.decode([String].self, column: "events"), description: try row.decode(String?.self, column: "description"),
            enabled: try row.decode(String.self, column: "status") == "enabled",
            disabledReason: try row.decode(String?.self, column: "disabled_reason"),
            createdAt: try row.decode(Date.self, column: "created_at"))
    }

    /// Registers an endpoint, unless the workspace has `limit` already (`nil`): counted under a
    /// lock of the workspace's endpoints, so two registrations at once cannot both take the last
    /// place.
    public func create(
        tenant: UUID, url: String, events: [String], description: String?, secret: [UInt8], fedThrough: Int64, limit: Int
    ) async throws -> WebhookEndpoint? {
        let rows = try await inTenant(
            tenant,
            [
                PGQuery(PGStatement("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::text, 0))"), [tenant]),
                PGQuery(
                    PGStatement(
                        """
                        INSERT INTO webhook_endpoints (tenant_id, id, url, events, description, secret, fed_through)
                        SELECT $1, $2, $3, $4::text[], $5, decode($6, 'hex'), $7
                        WHERE (SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1) < $8
                        RETURNING \(Self.endpointColumns)
                        """),
                    [tenant, ULID().uuid, url, events, description, hexadecimal(secret), fedThrough, limit]),
            ])
        return try rows[1].first.map(Self.endpoint)
    }

    public func list(tenant: UUID) async throws -> [WebhookEndpoint] {
        try await inTenant(
            tenant,
            [
                PGQuery(PGStatement("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY id"), [tenant])
            ])[0].map(Self.endpoint)
    }

    public func endpoint(tenant: UUID, id: ULID) async throws -> WebhookEndpoint? {
        try await inTenant(
            tenant,
            [
                PGQuery(
                    PGStatement("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"),
                    [tenant, id.uuid])
            ])[0].first.map(Self.endpoint)
    }

    /// Deletes the endpoint with its queued deliveries and its attempts; whether it existed.
    public func delete(tenant: UUID, id: ULID) async throws -> Bool {
        !(try await inTenant(
            tenant,
            [
                PGQuery(PGStatement("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 RETURNING id"), [tenant, id.uuid])
            ])[0].isEmpty)
    }

    /// A new secret; the one it replaces keeps signing beside it for `overlap`.
    public func rotate(tenant: UUID, id: ULID, secret: [UInt8], overlap: Duration = .seconds(86_400)) async throws -> WebhookEndpoint? {
        try await inTenant(
            tenant,
            [
                PGQuery(
                    PGStatement(
                        """
                        UPDATE webhook_endpoints
                        SET previous_secret = secret, previous_secret_until = now() + make_interval(secs => $4), secret = decode($3, 'hex')
                        WHERE tenant_id = $1 AND id = $2
                        RETURNING \(Self.endpointColumns)
                        """),
                    [tenant, id.uuid, hexadecimal(secret), Int(overlap.inSeconds)])
            ])[0].first.map(Self.endpoint)
    }

    /// Enables the endpoint again: its failing streak forgotten, its queued deliveries due now,
    /// and the feed resumed from where it stopped (within retention).
    public func enable(tenant: UUID, id: ULID) async throws -> WebhookEndpoint? {
        try await inTenant(
            tenant,
            [
                PGQuery(
                    PGStatement(
                        """
                        UPDATE webhook_deliveries SET next_attempt_at = now()
                        WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending'
                          AND EXISTS (SELECT FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 AND status = 'disabled')
                        """),
                    [tenant, id.uuid]),
                PGQuery(
                    PGStatement(
                        """
                        UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, failing_since = NULL
                        WHERE tenant_id = $1 AND id = $2
                        RETURNING \(Self.endpointColumns)
                        """),
                    [tenant, id.uuid]),
            ])[1].first.map(Self.endpoint)
    }

    /// The endpoint's latest attempts, newest first, after the attempt `after` (a page's cursor).
    public func attempts(tenant: UUID, endpoint: ULID, after: ULID?, limit: Int) async throws -> [WebhookAttempt] {
        try await inTenant(
            tenant,
            [
                PGQuery(
                    PGStatement(
                        """
                        SELECT id, change_id, attempt, status_code, error, duration_ms, next_attempt_at, attempted_at
                        FROM webhook_attempts
                        WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3::uuid IS NULL OR id < $3::uuid)
                        ORDER BY id DESC LIMIT $4
                        """),
                    [tenant, endpoint.uuid, after?.uuid, limit])
            ])[0].map { row in
                WebhookAttempt(
                    id: ULID(uuid: try row.decode(UUID.self, column: "id")),
                    changeID: ULID(uuid: try row.decode(UUID.self, column: "change_id")),
                    attempt: try row.decode(Int.self, column: "attempt"), statusCode: try row.decode(Int?.self, column: "status_code"),
                    error: try row.decode(String?.self, column: "error"),
                    durationMilliseconds: try row.decode(Int.self, column: "duration_ms"),
                    nextAttemptAt: try row.decode(Date?.self, column: "next_attempt_at"),
                    attemptedAt: try row.decode(Date.self, column: "attempted_at"))
            }
    }
}

// MARK: - Delivery

extension WebhookStore {
    /// An enabled endpoint and how far its deliveries have been queued.
    public struct FeedState: Sendable {
        public var tenant: UUID
        public var endpoint: UUID
        public var fedThrough: Int64
        public var events: Set<String>
    }

    public func endpointsToFeed() async throws -> [FeedState] {
        try await pool.withConnection(lease: PoolLease(owner: nil)) { connection in
            try await connection.query(
                PGQuery(PGStatement("SELECT tenant_id, endpoint_id, fed_through, events FROM webhook_endpoints_to_feed()")))
        }.map { row in
            FeedState(
                tenant: try row.decode(UUID.self, column: "tenant_id"), endpoint: try row.decode(UUID.self, column: "endpoint_id"),
                fedThrough: try row.decode(Int64.self, column: "fed_through"), events: Set(try row.decode([String].self, column: "events")))
        }
    }

    /// Queues `deliveries` (change id, position, body) for the endpoint and moves its feed mark to
    /// `through`; a delivery queued already (another instance fed it too) is left as it is.
    public func enqueue(tenant: UUID, endpoint: UUID, deliveries: [(change: UUID, position: Int64, body: String)], through: Int64)
        async throws
    {
        _ = try await inTenant(
            tenant,
            [
                PGQuery(
                    PGStatement(
                        """
                        INSERT INTO webhook_deliveries (tenant_id, endpoint_id, change_id, change_position, body, next_attempt_at)
                        SELECT $1, $2, d.change_id, d.change_position, d.body, now()
                        FROM unnest($3::uuid[], $4::bigint[], $5::text[]) AS d(change_id, change_position, body)
                        ON CONFLICT DO NOTHING
                        """),
                    [tenant, endpoint, deliveries.map(\.change.uuidString), deliveries.map { String($0.position) }, deliveries.map(\.body)]),
                PGQuery(
                    PGStatement("UPDATE webhook_endpoints SET fed_through = greatest(fed_through, $3) WHERE tenant_id = $1 AND id = $2"),
                    [tenant, endpoint, through]),
            ])
    }

    /// A delivery claimed for one attempt.
    public struct Claim: Sendable {
        public var tenant: UUID
        public var endpoint: UUID
        public var change: UUID
        public var attempt: Int
        public var body: String
        public var url: String
        public var secrets: [[UInt8]]
    }

    public func claim(owner: UUID, limit: Int, perEndpoint: Int, lease: Duration) async throws -> [Claim] {
        try await pool.withConnection(lease: PoolLease(owner: nil)) { connection in
            try await connection.query(
                PGQuery(
                    PGStatement(
                        """
                        SELECT tenant_id, endpoint_id, change_id, attempt, body, url, secret, previous_secret
                        FROM claim_webhook_deliveries($1, $2, $3, make_interval(secs => $4))
                        """),
                    [owner, limit, perEndpoint, Int(lease.inSeconds.rounded(.up))]))
        }.map { row in
            Claim(
                tenant: try row.decode(UUID.self, column: "tenant_id"), endpoint: try row.decode(UUID.self, column: "endpoint_id"),
                change: try row.decode(UUID.self, column: "change_id"), attempt: try row.decode(Int.self, column: "attempt"),
                body: try row.decode(String.self, column: "body"), url: try row.decode(String.self, column: "url"),
                secrets: [try row.decode(PGBytea.self, column: "secret"), try row.decode(PGBytea?.self, column: "previous_secret")]
                    .compactMap { $0?.bytes })
        }
    }

    /// Writes an attempt's outcome (only while `owner` holds the lease); whether it was still held.
    @discardableResult
    public func finish(
        _ claim: Claim, owner: UUID, statusCode: Int?, error: String?, duration: Duration, succeeded: Bool, gone: Bool, nextAttempt: Date?
    ) async throws -> Bool {
        let rows = try await pool.withConnection(lease: PoolLease(owner: claim.tenant)) { connection in
            try await connection.query(
                PGQuery(
                    PGStatement("SELECT finish_webhook_attempt($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) AS held"),
                    [
                        claim.tenant, claim.endpoint, claim.change, owner, ULID().uuid, statusCode, error,
                        Int(duration.inSeconds * 1000), succeeded, gone, nextAttempt,
                    ]))
        }
        return try rows.first?.decode(Bool.self, column: "held") ?? false
    }

    /// Hands back every delivery `owner` holds (graceful shutdown).
    public func release(owner: UUID) async throws {
        _ = try await pool.withConnection(lease: PoolLease(owner: nil)) { connection in
            try await connection.query(PGQuery(PGStatement("SELECT release_webhook_deliveries($1)"), [owner]))
        }
    }

    /// Retention of finished deliveries and attempts; how many rows went.
    public func prune(before: Date) async throws -> Int {
        var total = 0
        while true {
            let rows = try await pool.withConnection(lease: PoolLease(owner: nil, isBulk: true)) { connection in
                try await connection.query(PGQuery(PGStatement("SELECT prune_webhook_history($1) AS pruned"), [before]))
            }
            let pruned = try rows.first?.decode(Int.self, column: "pruned") ?? 0
            total += pruned
            if pruned < 5_000 { return total }
        }
    }
}
