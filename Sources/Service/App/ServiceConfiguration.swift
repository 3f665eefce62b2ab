public import PGStore

/// Everything `contacts serve` can be told, with defaults that work on a laptop.
public struct ServiceConfiguration: Sendable {
    /// Listen address. Default `127.0.0.1`.
    public var host = "127.0.0.1"
    /// Listen port. Default 8080.
    public var port = 8080
    /// Largest request body accepted (413 above). Default 256 KiB.
    public var bodyLimit = 256 * 1024
    /// Largest `create-contacts` body (up to 1,000 contacts). Default 4 MiB.
    public var batchBodyLimit = 4 * 1024 * 1024
    /// Signs list cursors; instances behind one load balancer must share it.
    public var cursorSecret = "contacts-development-cursor-secret"
    /// How long a token's resolution is cached: a revoked token works at most this long. Default 5 s.
    public var tokenCacheTTL: Duration = .seconds(5)
    /// Connection pool size and acquire bound (503 past it).
    public var pool = ConnectionPoolConfiguration()

    public init() {}
}
