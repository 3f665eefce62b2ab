/// How a ``ConnectionPool`` sizes itself and how long it lets callers wait.
public struct ConnectionPoolConfiguration: Sendable {
    /// Connections at most. Default 4: on a 2-core machine a few sessions saturate PostgreSQL and
    /// more only queue inside it (measured in BENCHMARKS.md: 16 connections serve fewer requests
    /// than 4); each connection also takes one thread.
    public var maxConnections: Int = 4
    /// How long a caller waits for a free connection before ``ConnectionPoolError/acquireTimeout(waited:)``.
    /// Default 2 s: long enough to ride out a burst, short enough for an HTTP client to get a 503.
    public var acquireTimeout: Duration = .seconds(2)
    /// A connection idle for at least this long is pinged (one empty query) before it is handed
    /// out; fresher ones get only a free socket check. Default 1 s, as pgx does.
    public var healthCheckAfterIdle: Duration = .seconds(1)
    /// After a failed connect, new connects wait `initial`, doubling up to `maximum`, and callers
    /// that would need one fail at once with the connect error meanwhile. Default 50 ms to 1 s.
    public var connectBackoffInitial: Duration = .milliseconds(50)
    public var connectBackoffMaximum: Duration = .seconds(1)

    /// Sessions shared by many single-statement calls at once in libpq's pipeline mode
    /// (``ConnectionPool/query(_:lease:)``), on top of ``maxConnections``. Default 2: one session
    /// runs its calls one after another, so two keep both cores of PostgreSQL busy while each
    /// reads many calls per wake-up (BENCHMARKS.md). 0 sends every call through a leased
    /// connection instead.
    public var sharedSessions: Int = 2
    /// Places per shared session: calls in flight over all shared sessions are at most
    /// `sharedSessions × pipelineDepth`, spread to the least busy session; more wait, fairly, as
    /// leases do. Default 16.
    public var pipelineDepth: Int = 16
    /// While a workspace's interactive call (``ConnectionPool/query(_:lease:)``) came within this
    /// long, bulk leases that are not held long share one connection instead of
    /// ``maxBulkConnections``: an import takes what interactive requests leave. Default 1 s;
    /// `nil` turns it off.
    public var bulkYieldWindow: Duration? = .seconds(1)

    /// Connections one owner (a tenant) may hold while others wait for one. When nobody else
    /// waits, an owner may use the whole pool. Default: half the pool, rounded up.
    public var maxConnectionsPerOwner: Int
    /// Connections bulk leases may hold at once, whoever waits: the rest stay for interactive
    /// requests. Default: half the pool, rounded up.
    public var maxBulkConnections: Int

    public init(
        maxConnections: Int = 4, acquireTimeout: Duration = .seconds(2), maxConnectionsPerOwner: Int? = nil,
        maxBulkConnections: Int? = nil
    ) {
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        let half = (self.maxConnections + 1) / 2
        self.maxConnectionsPerOwner = min(self.maxConnections, max(1, maxConnectionsPerOwner ?? half))
        self.maxBulkConnections = min(self.maxConnections, max(1, maxBulkConnections ?? half))
    }
}
