import Digests
public import FoundationEssentials
public import HTTPTypes
public import Hummingbird
import NIOCore
public import PGStore

/// Runs a request that carries an `Idempotency-Key` in one transaction with its recorded answer
/// (API.md "Retrying safely"): the first request with a key runs, and its answer is kept with its
/// writes, or neither is (a crash, a lost connection before the commit); a retry with the same key
/// and body gets that answer back, byte for byte, without running again, on any instance.
///
/// The request's own database calls go to the transaction's connection
/// (``ConnectionPool/pinned``), whatever they ask for: a shared session, a lease, a transaction of
/// their own (then a savepoint). A second request with the key while the first runs finds the key
/// locked (a transaction-scoped advisory lock) and is told so at once.
public struct IdempotencyStore: Sendable {
    let pool: ConnectionPool
    let clock: any ServiceClock

    public init(pool: ConnectionPool, clock: any ServiceClock = SystemClock()) {
        self.pool = pool
        self.clock = clock
    }

    /// How long an answer is kept.
    public static let retention: Duration = .seconds(24 * 3600)

    /// What identifies a recorded answer.
    public struct Scope: Sendable {
        public var tenant: UUID
        public var key: String
        public var method: String
        public var path: String
        /// SHA-256 of the request's body.
        public var digest: [UInt8]

        var lockName: String { "\(tenant.uuidString)\u{1F}\(method)\u{1F}\(path)\u{1F}\(key)" }
    }

    static let lock = PGStatement("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked")
    static let find = PGStatement(
        """
        SELECT request_digest, status, headers, body FROM idempotency_keys
        WHERE tenant_id = $1 AND key = $2 AND method = $3 AND path = $4 AND created_at >= $5
        """)
    static let record = PGStatement(
        """
        INSERT INTO idempotency_keys (tenant_id, key, method, path, request_digest, status, headers, body)
        VALUES ($1, $2, $3, $4, decode($5, 'hex'), $6, $7::text[], decode($8, 'hex'))
        ON CONFLICT (tenant_id, key, method, path) DO UPDATE
        SET request_digest = excluded.request_digest, status = excluded.status, headers = excluded.headers,
            body = excluded.body, created_at = excluded.created_at
        """)
    static let prune = PGStatement("SELECT prune_idempotency_keys($1, $2) AS pruned")

    /// Headers an answer is replayed without: they belong to each exchange.
    static let unrecorded: Set<String> = [
        "date", "x-request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "content-length",
    ]

    /// The recorded answer of `scope`, or `work`'s, recorded with its writes when the request ran:
    /// a 2xx, or a 404, 409 `phone_taken` or 422 thrown by `work` (rolled back to before it ran,
    /// then recorded). Anything else `work` throws is thrown, and nothing is kept. `lease` is the
    /// connection's, which `work`'s calls use: an upload's is bulk and held long.
    public func run(_ scope: Scope, lease: PoolLease? = nil, _ work: () async throws -> Response) async throws -> Response {
        try await pool.withConnection(lease: lease ?? PoolLease(owner: scope.tenant)) { connection in
            // Three round trips: the tenant, the key's lock, the lookup and the savepoint in the
            // transaction's first; the request's own work; the answer's insert with the commit.
            let oldest = clock.wallNow.addingTimeInterval(-Self.retention.inSeconds)
            let (transaction, opened) = try await connection.beginTransaction(then: [
                ContactStore.tenantScope(scope.tenant),
                PGQuery(Self.lock, [scope.lockName]),
                PGQuery(Self.find, [scope.tenant, scope.key, scope.method, scope.path, oldest]),
                PGQuery(.unprepared("SAVEPOINT idempotent_request")),
            ])
            do {
                guard try opened[1][0].decode(Bool.self, column: "locked") else { throw APIError.idempotencyKeyInUse }
                if let row = opened[2].first {
                    try await transaction.rollback()
                    guard try row.decode(PGBytea.self, column: "request_digest").bytes == scope.digest else {
                        throw APIError.idempotencyKeyReused
                    }
                    return try Self.replay(row)
                }
                var response: Response
                do {
                    response = try await ConnectionPool.$pinned.withValue(connection) { try await work() }
                } catch let error as APIError where Self.isRecorded(error) {
                    try await connection.execute(script: "ROLLBACK TO SAVEPOINT idempotent_request")
                    response = JSONResponse.make(status: error.status, bytes: error.body, headers: error.headers)
                }
                let body = try await Self.collect(&response)
                var headers: [String] = []
                for field in response.headers where !Self.unrecorded.contains(field.name.canonicalName) {
                    headers += [field.name.rawName, field.value]
                }
                try await transaction.commit(after: [
                    PGQuery(
                        Self.record,
                        encoded: [
                            scope.tenant.uuidString, scope.key, scope.method, scope.path, hexadecimal(scope.digest),
                            String(response.status.code), headers.pgEncoded(), hexadecimal(body),
                        ])
                ])
                return Response(status: response.status, headers: response.headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            } catch {
                if connection.isInTransaction { try await transaction.rollback(after: error) }
                throw error
            }
        }
    }

    /// Deletes `tenant`'s answers older than the retention; how many.
    @discardableResult
    public func prune(tenant: UUID) async throws -> Int {
        let before = clock.wallNow.addingTimeInterval(-Self.retention.inSeconds)
        return try await pool.query(PGQuery(Self.prune, [tenant, before]), lease: PoolLease(owner: tenant))[0]
            .decode(Int.self, column: "pruned")
    }

    /// The answers a request that ran gives, and that are kept: a 2xx, 404, 409 `phone_taken`, 422.
    static func isRecorded(_ error: APIError) -> Bool {
        error.status == .notFound || error.status == .unprocessableContent || (error.status == .conflict && error.code == "phone_taken")
    }

    static func replay(_ row: PGRow) throws -> Response {
        var headers = HTTPFields()
        let pairs = try row.decode([String].self, column: "headers")
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            if let name = HTTPField.Name(pairs[index]) { headers.append(HTTPField(name: name, value: pairs[index + 1])) }
        }
        headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
        let body = try row.decode(PGBytea.self, column: "body").bytes
        return Response(
            status: HTTPResponse.Status(code: try row.decode(Int.self, column: "status")), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The response's body, whole (the API's POST answers are small JSON documents).
    static func collect(_ response: inout Response) async throws -> [UInt8] {
        let collector = Collector()
        try await response.body.write(collector)
        return collector.bytes.value
    }

    /// Gathers what a response body writes.
    struct Collector: ResponseBodyWriter {
        final class Box: @unchecked Sendable { var value: [UInt8] = [] }
        let bytes = Box()
        mutating func write(_ buffer: ByteBuffer) async throws { bytes.value += buffer.readableBytesView }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
