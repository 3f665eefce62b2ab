public import FoundationEssentials
public import PGStore
import Synchronization

/// Who a valid token belongs to.
public struct Caller: Sendable, Equatable {
    public var accountID: UUID
    /// The tenant; `nil` when the account has no workspace (the API answers 422).
    public var workspaceID: UUID?
}

/// Resolves bearer tokens to callers, caching each answer (including "unknown") for `cacheTTL`,
/// so the hot path costs no round trip; a revoked token stops working within that time.
public final class Authenticator: Sendable {
    private let pool: ConnectionPool
    private let cacheTTL: Duration
    private let clock: any ServiceClock
    private let cache = Mutex<[Data: (caller: Caller?, expires: ContinuousClock.Instant)]>([:])
    /// Bounds memory under a spray of random tokens: the cache is emptied when it reaches this.
    static let maximumCacheEntries = 10_000

    static let lookup = PGStatement(
        """
        SELECT t.account_id, w.id AS workspace_id
        FROM api_tokens t LEFT JOIN workspaces w ON w.account_id = t.account_id
        WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL
        """)

    public init(pool: ConnectionPool, cacheTTL: Duration, clock: any ServiceClock = SystemClock()) {
        self.pool = pool
        self.cacheTTL = cacheTTL
        self.clock = clock
    }

    /// The caller for an `Authorization` header value, or `nil` (→ 401).
    public func caller(authorization: String?) async throws -> Caller? {
        guard let authorization, let token = Self.bearerToken(authorization), APIToken.isWellFormed(token) else {
            return nil
        }
        let hash = APIToken.hash(token)
        let key = Data(hash)
        let now = clock.now
        if let entry = cache.withLock({ $0[key] }), entry.expires > now {
            return entry.caller
        }
        let rows = try await pool.query(PGQuery(Self.lookup, [APIToken.byteaHex(hash)]))
        let caller = try rows.first.map {
            Caller(
                accountID: try $0.decode(UUID.self, column: "account_id"), workspaceID: try $0.decode(UUID?.self, column: "workspace_id"))
        }
        cache.withLock {
            if $0.count >= Self.maximumCacheEntries { $0.removeAll(keepingCapacity: true) }
            $0[key] = (caller, now + cacheTTL)
        }
        return caller
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, as RFC 9110 says).
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingWhitespace()
        return token.isEmpty ? nil : token
    }
}
