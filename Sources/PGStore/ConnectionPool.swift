import CLibPQ
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

/// A bounded pool of PostgreSQL connections with scoped, exclusive leases.
///
/// - Statements run in libpq's non-blocking mode from the caller's own thread (see
///   ``PGConnection``); what must block (connecting, pings, rollbacks of returned connections) runs
///   on the pool's own threads, never on an event loop or Swift's cooperative pool.
/// - Fair: while others wait, one owner holds at most its share, bulk leases at most theirs
///   (``PoolLease``, ``ConnectionPoolConfiguration``).
/// - A caller waits at most ``ConnectionPoolConfiguration/acquireTimeout`` for a connection, then
///   gets ``ConnectionPoolError/acquireTimeout(waited:)``: the HTTP layer turns that into a 503.
/// - A broken connection is discarded and replaced; connects that fail back off.
/// - A connection handed back mid-transaction is rolled back, or discarded if that fails.
/// - No background task: every connect, ping, rollback and close runs in the task of the caller
///   it serves (a waiter woken for a freed slot opens its own connection), and the deadlines of
///   waiters are one event-loop timer. So `init` starts nothing, and ``close()`` awaits a signal
///   rather than polling. `run()` (``ConnectionPool+Service``) only ties `close()` to shutdown.
public final class ConnectionPool: Sendable {
    typealias Waiter = CheckedContinuation<Grant, any Error>

    /// What a waiting caller is woken with.
    enum Grant {
        /// A connection handed over by a caller that finished with it.
        case connection(PGConnection)
        /// A slot freed by a broken connection: the caller opens its own, in its own task.
        case openSlot
    }

    public let configuration: ConnectionPoolConfiguration
    let connectionConfiguration: PGConnectionConfiguration
    let threadPool: NIOThreadPool
    let logger: Logger
    private let state: Mutex<PoolStateMachine<PGConnection, Waiter>>
    private let waiterIDs = Atomic<Int>(0)
    /// The pipelined sessions behind ``query(_:lease:)``.
    let shared: SharedSessions

    public init(
        connection: PGConnectionConfiguration,
        configuration: ConnectionPoolConfiguration = .init(),
        logger: Logger = Logger(label: "pgstore.pool")
    ) {
        self.configuration = configuration
        self.connectionConfiguration = connection
        self.logger = logger
        let threadPool = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threadPool.start()
        self.threadPool = threadPool
        self.shared = SharedSessions(configuration: configuration) {
            try await PGConnection.connect(connection, threadPool: threadPool)
        }
        self.state = Mutex(
            PoolStateMachine(
                maxConnections: configuration.maxConnections,
                backoffInitial: configuration.connectBackoffInitial,
                backoffMaximum: configuration.connectBackoffMaximum,
                ownerShare: configuration.maxConnectionsPerOwner,
                bulkLimit: configuration.maxBulkConnections,
                bulkYieldWindow: configuration.bulkYieldWindow
            )
        )
        (drainedSignals, drained) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Fails waiters whose deadline passed: one timer on an event loop, armed for the earliest
    /// deadline only while callers wait (no task, no periodic sweep).
    private let deadlineTimer = Mutex<(timer: Scheduled<Void>, at: ContinuousClock.Instant)?>(nil)
    /// Yields once the pool is closed and every connection is back: what `close()` awaits.
    private let drainedSignals: AsyncStream<Void>
    private let drained: AsyncStream<Void>.Continuation

    /// Leases a connection for the duration of `body`; `lease` says for whom, so that no tenant
    /// and no bulk job takes the whole pool while others wait.
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation,
        lease: PoolLease = PoolLease(),
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        if let pinned = Self.pinned { return try await body(pinned) }
        let connection = try await acquire(lease)
        let result: T
        do {
            result = try await body(connection)
        } catch {
            await release(connection, lease)
            throw error
        }
        await release(connection, lease)
        return result
    }

    /// Runs one statement, in its own implicit transaction, on a session shared with other callers
    /// (libpq's pipeline mode, ``SharedSessions``): no wait for a connection of one's own, and one
    /// wake-up brings back the results of many callers. For interactive calls: one slow statement
    /// delays the calls queued behind it on its session, so bulk work (`lease.isBulk`) and
    /// anything needing a transaction block or session state take a connection of their own.
    public func query(_ query: PGQuery, lease: PoolLease = PoolLease()) async throws -> PGRows {
        if let pinned = Self.pinned { return try await pinned.query(query) }
        if lease.isBulk || shared.sessionCount == 0 {
            return try await withConnection(lease: lease) { try await $0.query(query) }
        }
        if lease.owner != nil, configuration.bulkYieldWindow != nil { state.withLock { $0.noteInteractive(now: .now) } }
        return try await shared.run(query, lease: lease)
    }

    /// The connection every call of this task goes to, whatever it asks for, while set: one
    /// transaction around a whole request (an `Idempotency-Key`'s, which commits the request's
    /// writes with its recorded answer). A transaction opened on it inside is a savepoint.
    @TaskLocal public static var pinned: PGConnection?

    /// Calls in flight on each open shared session.
    public var sharedInFlight: [Int] { shared.inFlight }

    /// Leases a connection beyond one closure's scope: for work that starts in a request handler
    /// (so that no free connection is a 503 before any byte of the response) and goes on in the
    /// response body it returns. End it with ``ConnectionLease/release()``; a lease dropped
    /// without it (the body never ran: the client left first) closes its connection and frees
    /// its slot.
    public func lease(_ lease: PoolLease) async throws -> ConnectionLease {
        ConnectionLease(connection: try await acquire(lease), lease: lease, pool: self)
    }

    /// Leases a connection and runs `body` in a transaction on it
    /// (``PGConnection/withTransaction(isolation:readOnly:actorIsolation:_:)``).
    public func withTransaction<T>(
        isolation: PGIsolation? = nil, readOnly: Bool = false, lease: PoolLease = PoolLease(),
        actorIsolation: isolated (any Actor)? = #isolation,
        _ body: (PGConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(lease: lease) { connection in
            try await connection.withTransaction(isolation: isolation, readOnly: readOnly, body)
        }
    }

    /// Counts, for metrics: open connections, leased ones, and callers waiting.
    public var statistics: (open: Int, leased: Int, waiting: Int) {
        state.withLock { ($0.total, $0.leased, $0.waiters.count) }
    }

    /// Stops handing out connections, fails waiters and closes idle connections; leased ones are
    /// closed as they come back. Then stops the threads.
    public func close() async {
        await shared.close()
        deadlineTimer.withLock { $0?.timer.cancel() }
        let (idle, waiters, isDrained) = state.withLock { state in
            let (idle, waiters) = state.close()
            return (idle, waiters, state.isDrained)
        }
        for waiter in waiters { waiter.resume(throwing: ConnectionPoolError.closed) }
        for connection in idle { await connection.close() }
        // Leased connections still need the threads to roll back and close: the last one back
        // signals.
        if !isDrained {
            for await _ in drainedSignals { break }
        }
        try? await threadPool.shutdownGracefully()
    }

    /// Arms the deadline timer for `deadline` unless it is armed for an earlier one.
    private func armDeadlineTimer(for deadline: ContinuousClock.Instant) {
        deadlineTimer.withLock { current in
            if let current, current.at <= deadline { return }
            current?.timer.cancel()
            let loop = MultiThreadedEventLoopGroup.singleton.any()
            let timer = loop.scheduleTask(in: TimeAmount(deadline - .now)) { [weak self] () -> Void in self?.expireWaiters() }
            current = (timer, deadline)
        }
    }

    private func expireWaiters() {
        // Disarmed first: a waiter queued from now on arms its own timer, and one queued before
        // is in `next`.
        deadlineTimer.withLock { $0 = nil }
        let (expired, next) = state.withLock { ($0.removeExpiredWaiters(now: .now), $0.earliestDeadline) }
        let waited = configuration.acquireTimeout
        for waiter in expired { waiter.resume(throwing: ConnectionPoolError.acquireTimeout(waited: waited)) }
        if let next { armDeadlineTimer(for: next) }
    }

    // MARK: Acquire and release

    private func acquire(_ lease: PoolLease) async throws -> PGConnection {
        let deadline = ContinuousClock.now + (lease.acquireTimeout ?? configuration.acquireTimeout)
        while true {
            let (connection, idleSince) = try await acquireOnce(deadline: deadline, lease: lease)
            guard let idleSince else { return connection }  // fresh or handed over just now
            if await isHealthy(connection, idleSince: idleSince) { return connection }
            logger.debug("discarding a broken pooled connection", metadata: ["pg.backend_pid": "\(connection.backendPID)"])
            await discard(connection, lease)
        }
    }

    /// A connection, and since when it idled (`nil` when it is fresh or was just in use).
    private func acquireOnce(
        deadline: ContinuousClock.Instant, lease: PoolLease
    ) async throws -> (PGConnection, idleSince: ContinuousClock.Instant?) {
        switch state.withLock({ $0.acquire(now: .now, lease: lease) }) {
        case .use(let connection, let since):
            return (connection, since)
        case .open:
            return (try await open(for: lease), nil)
        case .failClosed:
            throw ConnectionPoolError.closed
        case .failBackoff(let error):
            throw error
        case .queued, .mustWait:
            return (try await wait(until: deadline, lease: lease), nil)
        }
    }

    private func wait(until deadline: ContinuousClock.Instant, lease: PoolLease) async throws -> PGConnection {
        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let grant = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let action = state.withLock { $0.acquire(now: .now, waiter: (id, continuation, deadline), lease: lease) }
                switch action {
                case .queued, .mustWait:
                    armDeadlineTimer(for: deadline)
                case .use(let connection, _):
                    continuation.resume(returning: .connection(connection))
                case .open:
                    continuation.resume(returning: .openSlot)
                case .failClosed:
                    continuation.resume(throwing: ConnectionPoolError.closed)
                case .failBackoff(let error):
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if let waiter = state.withLock({ $0.removeWaiter(id: id) }) {
                waiter.resume(throwing: CancellationError())
            }
        }
        switch grant {
        case .connection(let connection): return connection
        case .openSlot: return try await open(for: lease)
        }
    }

    /// Opens a connection on the pool's threads in the slot reserved for the caller holding `lease`.
    private func open(for lease: PoolLease) async throws -> PGConnection {
        do {
            let connection = try await PGConnection.connect(connectionConfiguration, threadPool: threadPool)
            state.withLock { $0.opened() }
            return connection
        } catch let error as PGError {
            logger.warning("database connect failed", metadata: ["pg.error": "\(error)"])
            await perform(state.withLock { $0.openFailed(error, now: .now, lease: lease) })
            throw error
        } catch {
            await perform(state.withLock { $0.openFailed(PGError(kind: .connectionFailed, message: "\(error)"), now: .now, lease: lease) })
            throw error
        }
    }

    /// Cheap unless the connection idled long: a socket poll (no libpq call, no round trip);
    /// a ping after ``ConnectionPoolConfiguration/healthCheckAfterIdle``.
    private func isHealthy(_ connection: PGConnection, idleSince: ContinuousClock.Instant) async -> Bool {
        let idleFor = ContinuousClock.now - idleSince
        if idleFor >= configuration.healthCheckAfterIdle {
            return (try? await connection.run { $0.ping() }) ?? false
        }
        if clibpq_socket_readable(connection.raw.socket) != 0 {
            return (try? await connection.run { $0.isUsableWithoutRoundTrip() }) ?? false
        }
        return true
    }

    /// A lease dropped without being released: the connection is closed on the pool's threads
    /// without waiting (no task, no rollback), and its slot goes to the next waiter.
    fileprivate func abandon(_ connection: PGConnection, _ lease: PoolLease) {
        connection.closeDetached()
        let action = state.withLock { $0.release(connection, reusable: false, now: .now, lease: lease) }
        switch action {
        case .openFor(let waiter): waiter.resume(returning: .openSlot)
        case .failWaiters(let waiters, let error): for waiter in waiters { waiter.resume(throwing: error) }
        case .handOver, .close, .none: break  // a connection not reusable is never handed over
        }
        if state.withLock({ $0.isDrained }) { drained.yield() }
    }

    fileprivate func release(_ connection: PGConnection, _ lease: PoolLease) async {
        var reusable = !connection.isBroken
        if reusable, connection.transactionStatus != .idle {
            // Not a transaction of ours to end: a caller's that was cut off (cancelled mid-body).
            logger.debug("rolling back a connection returned mid-transaction")
            _ = try? await connection.execute(script: "ROLLBACK")
            reusable = !connection.isBroken && connection.transactionStatus == .idle
        }
        if !reusable { await connection.close() }
        await perform(state.withLock { $0.release(connection, reusable: reusable, now: .now, lease: lease) })
    }

    private func discard(_ connection: PGConnection, _ lease: PoolLease) async {
        await connection.close()
        await perform(state.withLock { $0.release(connection, reusable: false, now: .now, lease: lease) })
    }

    /// Carries out a decision of the state machine in the calling task.
    private func perform(_ action: PoolStateMachine<PGConnection, Waiter>.Release) async {
        switch action {
        case .none:
            break
        case .handOver(let connection, let waiter):
            waiter.resume(returning: .connection(connection))
        case .openFor(let waiter):
            waiter.resume(returning: .openSlot)
        case .failWaiters(let waiters, let error):
            for waiter in waiters { waiter.resume(throwing: error) }
        case .close(let connection):
            await connection.close()
        }
        if state.withLock({ $0.isDrained }) { drained.yield() }
    }
}

/// A connection leased by ``ConnectionPool/lease(_:)``: held until ``release()``, or until the
/// lease is dropped.
public final class ConnectionLease: Sendable {
    public let connection: PGConnection
    let lease: PoolLease
    private let pool: ConnectionPool
    private let released = Atomic(false)

    fileprivate init(connection: PGConnection, lease: PoolLease, pool: ConnectionPool) {
        self.connection = connection
        self.lease = lease
        self.pool = pool
    }

    /// Gives the connection back (rolled back first if a transaction is open); once.
    public func release() async {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await pool.release(connection, lease)
    }

    deinit {
        if !released.load(ordering: .acquiring) { pool.abandon(connection, lease) }
    }
}
