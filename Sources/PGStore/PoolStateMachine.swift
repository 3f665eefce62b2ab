import DequeModule

/// The pool's decisions, with no I/O and no clock of its own: each call takes `now` and returns
/// what the caller must do, so the rules can be tested without a database or real time.
struct PoolStateMachine<Connection, Waiter> {
    enum Acquire {
        /// Use this idle connection; it has been idle since the instant given.
        case use(Connection, idleSince: ContinuousClock.Instant)
        /// Open a new connection for yourself (a slot is reserved).
        case open
        /// You were queued; your waiter will be handed a connection or failed.
        case queued
        /// Nothing free and no room: queue (call again with a waiter).
        case mustWait
        case failClosed
        /// A recent connect failed; fail with that error until the backoff passes.
        case failBackoff(PGError)
    }

    enum Release {
        case none
        /// Hand this connection to this waiter (it stays leased).
        case handOver(Connection, Waiter)
        /// A slot freed up while callers wait: open a connection for them.
        case openForWaiters
        /// Nothing can ever serve these waiters now: fail them with the error.
        case failWaiters([Waiter], PGError)
        /// The pool is closed: close this connection.
        case close(Connection)
    }

    let maxConnections: Int
    let backoffInitial: Duration
    let backoffMaximum: Duration

    private(set) var idle: [(connection: Connection, since: ContinuousClock.Instant)] = []
    private(set) var leased = 0
    private(set) var opening = 0
    private(set) var waiters: Deque<(id: Int, waiter: Waiter, deadline: ContinuousClock.Instant)> = []
    private(set) var closed = false
    private var failures = 0
    private var retryAt: ContinuousClock.Instant?
    private var lastConnectError: PGError?

    init(maxConnections: Int, backoffInitial: Duration, backoffMaximum: Duration) {
        self.maxConnections = maxConnections
        self.backoffInitial = backoffInitial
        self.backoffMaximum = backoffMaximum
    }

    var total: Int { idle.count + leased + opening }

    /// Takes an idle connection, reserves a slot to open one, or queues `waiter` when given.
    mutating func acquire(
        now: ContinuousClock.Instant, waiter: (id: Int, waiter: Waiter, deadline: ContinuousClock.Instant)? = nil
    ) -> Acquire {
        if closed { return .failClosed }
        if let entry = idle.popLast() {
            leased += 1
            return .use(entry.connection, idleSince: entry.since)
        }
        if total < maxConnections {
            if let retryAt, now < retryAt, let lastConnectError { return .failBackoff(lastConnectError) }
            opening += 1
            return .open
        }
        guard let waiter else { return .mustWait }
        waiters.append(waiter)
        return .queued
    }

    /// A connection opened. If it was opened for waiters, it goes to the first one (or idles).
    mutating func opened(_ connection: Connection, forWaiters: Bool, now: ContinuousClock.Instant) -> Release {
        opening -= 1
        failures = 0
        retryAt = nil
        lastConnectError = nil
        guard forWaiters else {
            leased += 1
            return .none
        }
        if closed { return .close(connection) }
        return park(connection, now: now)
    }

    /// A connect failed: start or extend the backoff.
    mutating func openFailed(_ error: PGError, now: ContinuousClock.Instant) -> Release {
        opening -= 1
        failures += 1
        var delay = backoffInitial
        for _ in 1..<min(failures, 16) { delay = min(delay * 2, backoffMaximum) }
        retryAt = now + delay
        lastConnectError = error
        if !waiters.isEmpty, leased == 0, opening == 0 {
            let failed = waiters.map(\.waiter)
            waiters.removeAll()
            return .failWaiters(failed, error)
        }
        return .none
    }

    /// A lease ended. A reusable connection goes to the first waiter or idles; a broken one frees
    /// its slot.
    mutating func release(_ connection: Connection, reusable: Bool, now: ContinuousClock.Instant) -> Release {
        leased -= 1
        if closed { return .close(connection) }
        guard reusable else {
            if !waiters.isEmpty {
                opening += 1
                return .openForWaiters
            }
            return .none
        }
        return park(connection, now: now)
    }

    private mutating func park(_ connection: Connection, now: ContinuousClock.Instant) -> Release {
        if let first = waiters.popFirst() {
            leased += 1
            return .handOver(connection, first.waiter)
        }
        idle.append((connection, now))
        return .none
    }

    /// Removes a waiter that gave up (timeout or cancellation); `nil` if it was already served.
    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// Removes the waiters whose deadline has passed, to fail them.
    mutating func removeExpiredWaiters(now: ContinuousClock.Instant) -> [Waiter] {
        guard waiters.contains(where: { $0.deadline <= now }) else { return [] }
        let expired = waiters.filter { $0.deadline <= now }.map(\.waiter)
        waiters.removeAll { $0.deadline <= now }
        return expired
    }

    /// Closes the pool: the idle connections to close and the waiters to fail.
    mutating func close() -> (idle: [Connection], waiters: [Waiter]) {
        closed = true
        let result = (idle.map(\.connection), waiters.map(\.waiter))
        idle.removeAll()
        waiters.removeAll()
        return result
    }
}
