import DequeModule
public import FoundationEssentials

/// Who a lease is for, so that a pool shared by many tenants stays fair: while others wait, no
/// owner gets more than its share of the connections, and bulk work (large batches, imports)
/// never holds more than its own share, so interactive requests always find connections.
public struct PoolLease: Sendable, Hashable {
    /// The tenant, or `nil` for work of no one in particular (health checks, authentication).
    public var owner: UUID?
    /// Bulk work waits behind interactive requests and is capped at
    /// ``ConnectionPoolConfiguration/maxBulkConnections``.
    public var isBulk: Bool
    /// Bulk work that holds its connection for a long while whoever waits (an export streaming to
    /// its client, an upload being stored): an owner holds at most all but one of the bulk
    /// connections this way, so one workspace never holds every bulk connection while another
    /// waits for one (handing over at release cannot help against a lease that is not released).
    public var isHeldLong: Bool
    /// How long this lease may wait for a connection, instead of the pool's
    /// ``ConnectionPoolConfiguration/acquireTimeout`` (meant for requests, which should get a 503
    /// soon): background work that waits its turn (an import job's next batch) waits longer.
    public var acquireTimeout: Duration?

    public init(owner: UUID? = nil, isBulk: Bool = false, isHeldLong: Bool = false, acquireTimeout: Duration? = nil) {
        self.owner = owner
        self.isBulk = isBulk || isHeldLong
        self.isHeldLong = isHeldLong
        self.acquireTimeout = acquireTimeout
    }
}

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
        /// A slot freed up while callers wait: this waiter (the next in turn) gets the slot and
        /// opens its own connection, in its own task.
        case openFor(Waiter)
        /// Nothing can ever serve these waiters now: fail them with the error.
        case failWaiters([Waiter], PGError)
        /// The pool is closed: close this connection.
        case close(Connection)
    }

    struct Waiting {
        var id: Int
        var waiter: Waiter
        var deadline: ContinuousClock.Instant
        var lease: PoolLease
    }

    let maxConnections: Int
    let backoffInitial: Duration
    let backoffMaximum: Duration
    /// Connections one owner may hold while other owners wait.
    let ownerShare: Int
    /// Connections bulk leases may hold at once, whoever waits.
    let bulkLimit: Int
    /// While interactive calls came within this window (``noteInteractive(now:)``), bulk leases
    /// that are not held long share one connection: bulk work takes what interactive requests
    /// leave, not a core of its own (BENCHMARKS.md, round three). `nil`: never.
    let bulkYieldWindow: Duration?
    private(set) var lastInteractive: ContinuousClock.Instant?

    private(set) var idle: [(connection: Connection, since: ContinuousClock.Instant)] = []
    private(set) var leased = 0
    private(set) var opening = 0
    private(set) var waiters: Deque<Waiting> = []
    private(set) var leasesByOwner: [UUID: Int] = [:]
    private(set) var bulkLeased = 0
    /// Bulk leases per owner, and long-held ones per owner (``PoolLease/isHeldLong``).
    private(set) var bulkByOwner: [UUID: Int] = [:]
    private(set) var heldLongByOwner: [UUID: Int] = [:]
    private(set) var heldLongLeased = 0
    private(set) var closed = false
    private var failures = 0
    private var retryAt: ContinuousClock.Instant?
    private var lastConnectError: PGError?

    init(
        maxConnections: Int, backoffInitial: Duration, backoffMaximum: Duration, ownerShare: Int? = nil, bulkLimit: Int? = nil,
        bulkYieldWindow: Duration? = nil
    ) {
        self.maxConnections = maxConnections
        self.backoffInitial = backoffInitial
        self.backoffMaximum = backoffMaximum
        self.ownerShare = max(1, ownerShare ?? maxConnections)
        self.bulkLimit = max(1, bulkLimit ?? maxConnections)
        self.bulkYieldWindow = bulkYieldWindow
    }

    /// A workspace's interactive call started (on a shared session): bulk work yields for a while.
    mutating func noteInteractive(now: ContinuousClock.Instant) {
        lastInteractive = now
    }

    /// Whether bulk work yields now.
    func isYielding(now: ContinuousClock.Instant) -> Bool {
        guard let bulkYieldWindow, let lastInteractive else { return false }
        return now - lastInteractive < bulkYieldWindow
    }

    var total: Int { idle.count + leased + opening }

    /// Long-held bulk leases one owner may have at once: all bulk connections but one.
    var heldLongShare: Int { max(1, bulkLimit - 1) }

    /// Whether `lease` may take a slot now as far as the bulk caps go.
    private func bulkAllows(_ lease: PoolLease, now: ContinuousClock.Instant) -> Bool {
        guard lease.isBulk else { return true }
        if bulkLeased >= bulkLimit { return false }
        if !lease.isHeldLong, bulkLeased - heldLongLeased >= 1, isYielding(now: now) { return false }
        if lease.isHeldLong, let owner = lease.owner, heldLongByOwner[owner, default: 0] >= heldLongShare { return false }
        return true
    }

    /// Takes an idle connection, reserves a slot to open one, or queues `waiter` when given.
    mutating func acquire(
        now: ContinuousClock.Instant, waiter: (id: Int, waiter: Waiter, deadline: ContinuousClock.Instant)? = nil,
        lease: PoolLease = PoolLease()
    ) -> Acquire {
        if closed { return .failClosed }
        let bulkFull = !bulkAllows(lease, now: now)
        if !bulkFull, let entry = idle.popLast() {
            leased += 1
            reserve(lease)
            return .use(entry.connection, idleSince: entry.since)
        }
        if !bulkFull, total < maxConnections {
            if let retryAt, now < retryAt, let lastConnectError { return .failBackoff(lastConnectError) }
            opening += 1
            reserve(lease)
            return .open
        }
        guard let waiter else { return .mustWait }
        waiters.append(Waiting(id: waiter.id, waiter: waiter.waiter, deadline: waiter.deadline, lease: lease))
        return .queued
    }

    /// The connection a caller opened in its slot (``Acquire/open`` or ``Release/openFor(_:)``)
    /// is up: the caller holds it.
    mutating func opened() {
        opening -= 1
        leased += 1
        failures = 0
        retryAt = nil
        lastConnectError = nil
    }

    /// A caller's connect failed: its slot frees, and the backoff starts or extends. Waiters fail
    /// when nothing else could ever serve them.
    mutating func openFailed(_ error: PGError, now: ContinuousClock.Instant, lease: PoolLease = PoolLease()) -> Release {
        opening -= 1
        unreserve(lease)
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
    mutating func release(_ connection: Connection, reusable: Bool, now: ContinuousClock.Instant, lease: PoolLease = PoolLease()) -> Release
    {
        leased -= 1
        unreserve(lease)
        if closed { return .close(connection) }
        guard reusable else {
            if let index = nextWaiter(now: now) {
                let next = waiters.remove(at: index)
                opening += 1
                reserve(next.lease)
                return .openFor(next.waiter)
            }
            return .none
        }
        if let index = nextWaiter(now: now) {
            let next = waiters.remove(at: index)
            leased += 1
            reserve(next.lease)
            return .handOver(connection, next.waiter)
        }
        idle.append((connection, now))
        return .none
    }

    /// Who gets a freed connection: interactive waiters before bulk ones (bulk only below its
    /// caps). Interactive: the first whose owner holds less than its share, else the first. Bulk:
    /// the first of the owner holding the fewest bulk connections, so that a workspace waiting
    /// for its first one goes before another workspace's next batch.
    private func nextWaiter(now: ContinuousClock.Instant) -> Int? {
        var first: Int?
        for (index, waiting) in waiters.enumerated() where !waiting.lease.isBulk {
            if isUnderShare(waiting.lease.owner) { return index }
            if first == nil { first = index }
        }
        if let first { return first }
        var best: (index: Int, held: Int)?
        for (index, waiting) in waiters.enumerated() where waiting.lease.isBulk && bulkAllows(waiting.lease, now: now) {
            let held = waiting.lease.owner.map { bulkByOwner[$0, default: 0] } ?? 0
            if best == nil || held < best!.held { best = (index, held) }
        }
        return best?.index
    }

    private func isUnderShare(_ owner: UUID?) -> Bool {
        guard let owner else { return true }
        return leasesByOwner[owner, default: 0] < ownerShare
    }

    private mutating func reserve(_ lease: PoolLease) {
        if let owner = lease.owner {
            leasesByOwner[owner, default: 0] += 1
            if lease.isBulk { bulkByOwner[owner, default: 0] += 1 }
            if lease.isHeldLong { heldLongByOwner[owner, default: 0] += 1 }
        }
        if lease.isBulk { bulkLeased += 1 }
        if lease.isHeldLong { heldLongLeased += 1 }
    }

    private mutating func unreserve(_ lease: PoolLease) {
        if let owner = lease.owner {
            Self.decrement(&leasesByOwner, owner)
            if lease.isBulk { Self.decrement(&bulkByOwner, owner) }
            if lease.isHeldLong { Self.decrement(&heldLongByOwner, owner) }
        }
        if lease.isBulk { bulkLeased -= 1 }
        if lease.isHeldLong { heldLongLeased -= 1 }
    }

    private static func decrement(_ counts: inout [UUID: Int], _ owner: UUID) {
        let count = counts[owner, default: 1] - 1
        counts[owner] = count > 0 ? count : nil
    }

    /// Removes a waiter that gave up (timeout or cancellation); `nil` if it was already served.
    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// The earliest deadline of the waiters, when there are any: when the deadline timer must fire.
    var earliestDeadline: ContinuousClock.Instant? { waiters.map(\.deadline).min() }

    /// Closed, and every connection back and closed or never opened: `close()` may return.
    var isDrained: Bool { closed && leased == 0 && opening == 0 }

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
