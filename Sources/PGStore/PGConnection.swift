import CLibPQ
import NIOConcurrencyHelpers
import NIOPosix

/// A leased PostgreSQL connection. The hot path (``query(_:)-(PGQuery)``, ``pipeline(_:)``) drives
/// libpq in non-blocking mode from the caller's own thread and awaits only socket readiness
/// (``SocketReactor``); everything else (connecting, scripts, COPY, pings) runs libpq blocking on
/// the pool's threads (`NIOThreadPool`). No event loop or cooperative thread ever blocks.
///
/// Obtain one from ``ConnectionPool/withConnection(isolation:_:)``; it is exclusively yours until
/// the closure returns. Use it from one task at a time: a statement in flight owns the session
/// until its results are read (the blocking calls are also serialized by a lock).
public final class PGConnection: Sendable {
    let raw: LibPQConnection
    private let lock = NIOLock()
    private let threadPool: NIOThreadPool
    /// The server process serving this session (`pg_backend_pid()`).
    public let backendPID: Int32

    /// Whether ``close()`` also stops the thread (a connection opened outside a pool has its own).
    private let ownsThreadPool: Bool

    init(raw: LibPQConnection, threadPool: NIOThreadPool, ownsThreadPool: Bool = false) {
        self.raw = raw
        self.threadPool = threadPool
        self.backendPID = raw.backendPID
        self.ownsThreadPool = ownsThreadPool
    }

    /// Opens a connection outside any pool (migrations, administration, tests), driven by a thread
    /// of its own: a shared thread would let one blocked session (waiting on a lock) stall another.
    /// Close it with ``close()``.
    public static func connect(_ configuration: PGConnectionConfiguration) async throws -> PGConnection {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let raw = try await thread.runIfActive { try LibPQConnection.connect(configuration) }
            return PGConnection(raw: raw, threadPool: thread, ownsThreadPool: true)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// Opens a connection driven by `threadPool` (the pool's, sized to its connections).
    static func connect(_ configuration: PGConnectionConfiguration, threadPool: NIOThreadPool) async throws -> PGConnection {
        let raw = try await threadPool.runIfActive { try LibPQConnection.connect(configuration) }
        return PGConnection(raw: raw, threadPool: threadPool)
    }

    /// Runs a prepared statement (prepared on this session at first use) and returns its rows.
    @discardableResult
    public func query(_ statement: PGStatement, _ binds: [any PGEncodable] = []) async throws -> PGRows {
        try await query(PGQuery(statement, binds))
    }

    /// Runs one statement with its parameters, prepared on first use: one round trip, and its own
    /// transaction (a single statement needs no `BEGIN`).
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        try await raw.pipelineNonBlocking([query], transaction: false)[0]
    }

    /// Runs a statement with parameters without preparing it: for statements run once.
    @discardableResult
    public func query(unprepared sql: String, _ binds: [any PGEncodable] = []) async throws -> PGRows {
        let encoded = binds.map { $0.pgEncoded() }
        return try await run { try $0.execute(sql: sql, binds: encoded) }
    }
    /// Runs a script of one or more statements without parameters; returns the last one's rows.
    @discardableResult
    public func execute(script: String) async throws -> PGRows {
        try await run { try $0.execute(script: script) }
    }

    /// Runs `queries` as one transaction in one network round trip (libpq pipeline mode).
    ///
    /// All or nothing: when a statement fails, the whole transaction is rolled back and the
    /// statement's own error is thrown (``PGError`` with its SQLSTATE).
    /// Inside a transaction already open on the session (a pinned request's), the queries are
    /// part of it: no BEGIN or COMMIT of their own, and a failure aborts that transaction.
    public func pipeline(_ queries: [PGQuery]) async throws -> [PGRows] {
        try await raw.pipelineNonBlocking(queries, transaction: !isInTransaction)
    }

    /// `COPY … FROM STDIN` with `data` in COPY's text format (see ``PGCopyText``); the row count.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) async throws -> Int {
        try await run { try $0.copyIn(sql: sql, data: data) }
    }

    /// Closes the session now. Pooled connections are closed by their pool.
    public func close() async {
        _ = try? await run { $0.markClosed() }
        if ownsThreadPool { try? await threadPool.shutdownGracefully() }
    }

    /// Closes the session on its thread without waiting for it: for a lease dropped where nothing
    /// can await (a `deinit`).
    func closeDetached() {
        threadPool.submit { [raw, lock] state in
            guard case .active = state else { return }
            lock.withLock { raw.markClosed() }
        }
    }

    /// Returns once the server sends something on this session while it runs no statement, which
    /// only a session being ended does (`pg_terminate_backend`, idle-session timeouts, a shutdown):
    /// the session is then marked broken and ``PGError/Kind/connectionLost`` thrown. A caller
    /// that holds a connection idle while it waits on something else races this against that
    /// wait, and gives a lost connection back at once. Cancelling it ends the wait.
    public func waitUntilLost() async throws {
        while true {
            try await SocketReactor.shared.wait(for: raw.socket, .readable)
            let usable = try await run { $0.isUsableWithoutRoundTrip() }
            if !usable { throw PGError(kind: .connectionLost, message: "the server ended the session") }
        }
    }

    /// Whether the session broke; such a connection is discarded by its pool.
    var isBroken: Bool { lock.withLock { raw.isBroken } }

    /// The transaction state after the last call (read under the lock: no libpq call).
    var transactionStatus: PGTransactionStatus { lock.withLock { raw.transactionStatus } }

    /// Whether a transaction (or a failed one) is open on the session.
    public var isInTransaction: Bool { transactionStatus != .idle }

    /// One hop to the connection threads with the connection locked.
    func run<T: Sendable>(_ body: @escaping @Sendable (LibPQConnection) throws -> T) async throws -> T {
        do {
            return try await threadPool.runIfActive { [raw, lock] in
                try lock.withLock { try body(raw) }
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw ConnectionPoolError.closed
        } catch is CancellationError where !Task.isCancelled {
            // A standalone connection's own thread is stopped by `close()`; work submitted after
            // that is refused as "cancelled", though nobody cancelled the caller.
            throw PGError(kind: .connectionLost, message: "connection closed")
        }
    }
}
