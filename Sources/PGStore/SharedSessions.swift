import CLibPQ
import NIOCore
import NIOPosix
import Synchronization

/// The pool's shared sessions: a few connections in pipeline mode (``PipelinedConnection``) that
/// every single-statement call of an interactive request goes through, many at once.
///
/// A call first takes one of `sessions × depth` places, under the same fair rules as the pool's
/// leases (``PoolStateMachine``: while others wait, one workspace holds at most its share), then
/// goes to the session with the fewest calls in flight. Sessions open on demand, one at a time,
/// in the task of the caller that needs one; a session that fails is replaced by the next caller.
final class SharedSessions: Sendable {
    /// A place in a pipeline: a token the fair state machine hands out and takes back.
    struct Place {}
    typealias Waiter = CheckedContinuation<Void, any Error>

    private struct Sessions {
        var live: [PipelinedConnection] = []
        var opening = false
        /// Callers waiting for the first session to open.
        var waitingForOpen: [CheckedContinuation<PipelinedConnection, any Error>] = []
        var closed = false
        /// After a failed connect, callers that find no session fail with its error until then.
        var retryAt: ContinuousClock.Instant?
        var lastError: PGError?
    }

    let sessionCount: Int
    private let configuration: ConnectionPoolConfiguration
    private let connect: @Sendable () async throws -> PGConnection
    private let places: Mutex<PoolStateMachine<Place, Waiter>>
    private let sessions = Mutex(Sessions())
    private let waiterIDs = Atomic<Int>(0)

    init(configuration: ConnectionPoolConfiguration, connect: @escaping @Sendable () async throws -> PGConnection) {
        self.sessionCount = configuration.sharedSessions
        self.configuration = configuration
        self.connect = connect
        let placeCount = max(1, configuration.sharedSessions * configuration.pipelineDepth)
        // A workspace's share of the places is its share of the pool's connections.
        let share = max(1, placeCount * configuration.maxConnectionsPerOwner / configuration.maxConnections)
        places = Mutex(PoolStateMachine(maxConnections: placeCount, backoffInitial: .zero, backoffMaximum: .zero, ownerShare: share))
    }

    /// Runs `query` on a shared session for `lease`'s owner.
    func run(_ query: PGQuery, lease: PoolLease) async throws -> PGRows {
        try await takePlace(lease)
        defer { releasePlace(lease) }
        let session = try await pickSession()
        return try await session.run(query)
    }

    /// Calls in flight on each live session, for metrics and tests.
    var inFlight: [Int] { sessions.withLock { $0.live.map(\.inFlight) } }

    /// Fails calls in flight and waiters, and closes the sessions.
    func close() async {
        let (live, openWaiters) = sessions.withLock { state in
            state.closed = true
            defer {
                state.live.removeAll()
                state.waitingForOpen.removeAll()
            }
            return (state.live, state.waitingForOpen)
        }
        for waiter in places.withLock({ $0.close().waiters }) { waiter.resume(throwing: ConnectionPoolError.closed) }
        for waiter in openWaiters { waiter.resume(throwing: ConnectionPoolError.closed) }
        for session in live {
            session.fail(PGError(kind: .connectionLost, message: "the connection pool is closed"))
            await session.connection.close()
        }
    }

    // MARK: Places

    private func takePlace(_ lease: PoolLease) async throws {
        switch places.withLock({ $0.acquire(now: .now, lease: lease) }) {
        case .use: return
        case .open:
            places.withLock { $0.opened() }
            return
        case .failClosed: throw ConnectionPoolError.closed
        case .failBackoff(let error): throw error
        case .queued, .mustWait: break
        }
        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let timeout = configuration.acquireTimeout
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let deadline = ContinuousClock.now + timeout
                switch places.withLock({ $0.acquire(now: .now, waiter: (id, continuation, deadline), lease: lease) }) {
                case .queued, .mustWait:
                    // One timer per waiting call: waiting is the exception here, not the rule.
                    MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(timeout)) { [self] in
                        places.withLock { $0.removeWaiter(id: id) }?.resume(throwing: ConnectionPoolError.acquireTimeout(waited: timeout))
                    }
                case .use: continuation.resume()
                case .open:
                    places.withLock { $0.opened() }
                    continuation.resume()
                case .failClosed: continuation.resume(throwing: ConnectionPoolError.closed)
                case .failBackoff(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            places.withLock { $0.removeWaiter(id: id) }?.resume(throwing: CancellationError())
        }
    }

    private func releasePlace(_ lease: PoolLease) {
        switch places.withLock({ $0.release(Place(), reusable: true, now: .now, lease: lease) }) {
        case .handOver(_, let waiter): waiter.resume()
        case .none, .openFor, .failWaiters, .close: break  // a reusable place is only ever handed over
        }
    }

    // MARK: Sessions

    private enum Pick {
        case use(PipelinedConnection)
        case open
        case wait
        case fail(any Error)
    }

    /// The live session with the fewest calls in flight; a new one when every live one is busy
    /// and there is room.
    private func pickSession() async throws -> PipelinedConnection {
        while true {
            var retired: [PipelinedConnection] = []
            let pick = sessions.withLock { state -> Pick in
                if state.closed { return .fail(ConnectionPoolError.closed) }
                // One look at each session (one lock each): usable, and how busy.
                let now = ContinuousClock.now
                var best: (session: PipelinedConnection, inFlight: Int)?
                for session in state.live {
                    guard let inFlight = usableInFlight(session, now: now) else {
                        retired.append(session)
                        continue
                    }
                    if best == nil || inFlight < best!.inFlight { best = (session, inFlight) }
                }
                if !retired.isEmpty { state.live.removeAll { session in retired.contains { $0 === session } } }
                let canOpen = state.live.count < sessionCount && !state.opening && (state.retryAt.map { now >= $0 } ?? true)
                if let best, best.inFlight == 0 || !canOpen { return .use(best.session) }
                if canOpen {
                    state.opening = true
                    return .open
                }
                if state.opening { return .wait }
                return .fail(state.lastError ?? PGError(kind: .connectionFailed, message: "no database session"))
            }
            for session in retired { await session.connection.close() }
            switch pick {
            case .use(let session): return session
            case .fail(let error): throw error
            case .open: return try await open()
            case .wait:
                return try await withCheckedThrowingContinuation { continuation in
                    let ready: PipelinedConnection?? = sessions.withLock { state in
                        if !state.opening { return .some(state.live.first) }
                        state.waitingForOpen.append(continuation)
                        return .none
                    }
                    switch ready {
                    case .none: break
                    case .some(.some(let session)): continuation.resume(returning: session)
                    case .some(.none): continuation.resume(throwing: sessions.withLock { $0.lastError } ?? ConnectionPoolError.closed)
                    }
                }
            }
        }
    }

    /// A failed session, or one whose server spoke while nothing was asked (it ended the session:
    /// a restart, `pg_terminate_backend`, an idle timeout), is replaced. The socket is looked at
    /// only after an idle second (one `poll`, no round trip), as the pool does for its own.
    /// The session's calls in flight, or `nil` when it must be replaced.
    private func usableInFlight(_ session: PipelinedConnection, now: ContinuousClock.Instant) -> Int? {
        let (inFlight, idleSince, failed) = session.status
        if failed { return nil }
        guard let idleSince, now - idleSince >= configuration.healthCheckAfterIdle else { return inFlight }
        let socket = session.connection.raw.socket
        if socket < 0 || clibpq_socket_readable(socket) != 0 {
            session.fail(PGError(kind: .connectionLost, message: "the server ended the session"))
            return nil
        }
        return inFlight
    }

    private func open() async throws -> PipelinedConnection {
        do {
            let session = try PipelinedConnection(try await connect())
            let (waiters, closed) = sessions.withLock { state in
                state.opening = false
                state.retryAt = nil
                state.lastError = nil
                defer { state.waitingForOpen.removeAll() }
                if !state.closed { state.live.append(session) }
                return (state.waitingForOpen, state.closed)
            }
            if closed {
                await session.connection.close()
                for waiter in waiters { waiter.resume(throwing: ConnectionPoolError.closed) }
                throw ConnectionPoolError.closed
            }
            for waiter in waiters { waiter.resume(returning: session) }
            return session
        } catch {
            let pgError = (error as? PGError) ?? PGError(kind: .connectionFailed, message: "\(error)")
            let waiters = sessions.withLock { state in
                state.opening = false
                state.retryAt = .now + configuration.connectBackoffInitial
                state.lastError = pgError
                defer { state.waitingForOpen.removeAll() }
                return state.waitingForOpen
            }
            for waiter in waiters { waiter.resume(throwing: pgError) }
            throw error
        }
    }
}
