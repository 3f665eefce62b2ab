import CLibPQ
import DequeModule
import Synchronization

/// One session shared by many callers at once: libpq's pipeline mode, never left.
///
/// Each call is one statement followed by its own `Sync`, so it runs in its own implicit
/// transaction and an error ends only that call (the server skips to the next `Sync`, libpq reports
/// the rest of that segment as aborted). Calls are answered in the order they were sent.
///
/// Nobody owns the reading. The first caller that finds no reader reads for everyone: it waits for
/// the socket, takes every result that arrived in that one wake-up, and resumes their callers;
/// when its own result is in, it hands the reading to the next caller still waiting, or to none
/// (the next call to arrive takes it). So no task and no thread is kept for the session, and a
/// burst of results costs one wake-up.
///
/// A caller cancelled while its call is in flight gets `CancellationError` at once; its result is
/// still read when it comes, and dropped. `PQcancel` would cancel whichever statement the server
/// is running, which may be someone else's.
///
/// Every libpq call on the session is made under ``state``'s lock, and none of them blocks (the
/// session is in non-blocking mode), so the lock is held for microseconds.
final class PipelinedConnection: Sendable {
    /// What a suspended caller is woken with.
    enum Wake: Sendable {
        case finished(Result<PGRows, PGError>)
        /// The previous reader got its result: read for the others now.
        case read
    }

    private struct Call {
        let id: Int
        /// The statement this call prepares before running it, if it is the first to use it: its
        /// results come first.
        let prepares: String?
        /// Commands whose results have ended (libpq ends each one's results with a NULL).
        var ended = 0
        var rows: PGRows?
        var error: PGError?
        var waiter: CheckedContinuation<Wake, any Error>?
        /// The caller left (cancelled): the result is read and dropped.
        var abandoned = false
    }

    private struct State {
        var calls: Deque<Call> = []
        /// Results that came in before their caller suspended.
        var finished: [Int: Result<PGRows, PGError>] = [:]
        var nextID = 0
        var reading = false
        /// libpq holds bytes the socket would not take yet.
        var outputPending = false
        /// Statements sent for preparing whose answer has not come back: later calls use them.
        var preparing: Set<String> = []
        var failure: PGError?
        var lastIdle: ContinuousClock.Instant = .now
    }

    /// The session: owned by this value alone from now on.
    let connection: PGConnection
    private let state = Mutex(State())

    /// Puts `connection` in pipeline mode; it must not be used any other way afterwards.
    init(_ connection: PGConnection) throws(PGError) {
        self.connection = connection
        let raw = connection.raw
        guard PQsetnonblocking(raw.handle, 1) == 0, PQenterPipelineMode(raw.handle) == 1 else {
            throw raw.connectionError()
        }
    }

    /// Calls sent and not yet answered (abandoned ones included: they still hold the session).
    var inFlight: Int { state.withLock { $0.calls.count } }

    /// Calls in flight, since when none has been (`nil` while some are), and whether the session
    /// failed (it then serves no more calls): one lock for a pool choosing a session.
    var status: (inFlight: Int, idleSince: ContinuousClock.Instant?, failed: Bool) {
        state.withLock { ($0.calls.count, $0.calls.isEmpty ? $0.lastIdle : nil, $0.failure != nil) }
    }

    /// Runs `query` (prepared on this session at first use) in its own implicit transaction.
    func run(_ query: PGQuery) async throws -> PGRows {
        let id = try send(query)
        return try await result(of: id)
    }

    /// Marks the session failed without a round trip (its pool found it dead, or is closing):
    /// calls in flight fail with `error`.
    func fail(_ error: PGError) {
        let wakes = state.withLock { fail(&$0, error) }
        for (waiter, wake) in wakes { waiter.resume(returning: wake) }
        let socket = connection.raw.socket
        if socket >= 0 { SocketReactor.shared.interrupt(socket) }
    }

    // MARK: Sending

    private func send(_ query: PGQuery) throws -> Int {
        if query.statement.containsNUL { throw LibPQConnection.nulError }
        let raw = connection.raw
        for case let value? in query.binds { try raw.checkNoNUL(value) }
        return try state.withLock { state throws(PGError) in
            if let failure = state.failure { throw failure }
            try raw.checkOpen()
            let handle = raw.handle
            var prepares: String?
            let name = query.statement.name
            let sent: Int32
            if !query.statement.isPrepared {
                sent = try raw.withCStringsUnchecked(query.binds) { values in
                    PQsendQueryParams(handle, query.statement.sql, Int32(values.count), nil, values, nil, nil, 0)
                }
            } else {
                if !raw.prepared.contains(name), !state.preparing.contains(name) {
                    guard PQsendPrepare(handle, name, query.statement.sql, 0, nil) == 1 else { throw lost(&state) }
                    state.preparing.insert(name)
                    prepares = name
                }
                sent = try raw.withCStringsUnchecked(query.binds) { values in
                    PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
                }
            }
            guard sent == 1, PQpipelineSync(handle) == 1 else { throw lost(&state) }
            let id = state.nextID
            state.nextID &+= 1
            state.calls.append(Call(id: id, prepares: prepares))
            switch PQflush(handle) {
            case 0: break
            case 1: state.outputPending = true  // the reader waits for the socket to drain too
            default: throw lost(&state)
            }
            return id
        }
    }

    // MARK: Receiving

    private func result(of id: Int) async throws -> PGRows {
        var isReader = false
        while true {
            if !isReader {
                switch try await suspend(id) {
                case .finished(let outcome): return try outcome.get()
                case .read: isReader = true
                }
            }
            // What libpq already holds first (a flush that could not write reads meanwhile), then
            // the socket.
            let (mine, wantsWrite) = settle(id, consume: false)
            if let mine { return try mine.get() }
            do {
                let socket = connection.raw.socket
                if socket >= 0 { try await SocketReactor.shared.wait(for: socket, wantsWrite ? .readableOrWritable : .readable) }
            } catch {
                // Cancelled while reading for everyone: leave the call, pass the reading on.
                let handOff = state.withLock { state in
                    abandon(&state, id)
                    return passReading(&state)
                }
                handOff.map { $0.resume(returning: .read) }
                throw error
            }
            if let mine = settle(id, consume: true).mine { return try mine.get() }
        }
    }

    /// One turn of the reader: advances the session, wakes the callers whose results came, and
    /// passes the reading on once its own is in.
    private func settle(_ id: Int, consume: Bool) -> (mine: Result<PGRows, PGError>?, wantsWrite: Bool) {
        let (mine, wantsWrite, wakes) = state.withLock { state in
            var wakes = advance(&state, consume: consume)
            guard let outcome = state.finished.removeValue(forKey: id) else {
                return (Result<PGRows, PGError>?.none, state.outputPending, wakes)
            }
            if let next = passReading(&state) { wakes.append((next, .read)) }
            return (outcome, false, wakes)
        }
        for (waiter, wake) in wakes { waiter.resume(returning: wake) }
        return (mine, wantsWrite)
    }

    /// Waits for the call's result, or for the reading to be handed over; takes the reading at
    /// once when nobody reads.
    private func suspend(_ id: Int) async throws -> Wake {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Wake, any Error>) in
                let now: Result<Wake, any Error>? = state.withLock { state in
                    if let outcome = state.finished.removeValue(forKey: id) { return .success(.finished(outcome)) }
                    if Task.isCancelled {
                        abandon(&state, id)
                        return .failure(CancellationError())
                    }
                    if !state.reading {
                        state.reading = true
                        return .success(.read)
                    }
                    guard let index = state.calls.firstIndex(where: { $0.id == id }) else {
                        return .failure(state.failure ?? PGError(kind: .connectionLost, message: "the call was lost"))
                    }
                    state.calls[index].waiter = continuation
                    return nil
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Wake, any Error>? in
                guard let index = state.calls.firstIndex(where: { $0.id == id }), let waiter = state.calls[index].waiter else { return nil }
                state.calls[index].waiter = nil
                state.calls[index].abandoned = true
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func abandon(_ state: inout State, _ id: Int) {
        state.finished.removeValue(forKey: id)
        if let index = state.calls.firstIndex(where: { $0.id == id }) { state.calls[index].abandoned = true }
    }

    /// The reader is done: the first caller still waiting reads next, or nobody until a call comes.
    private func passReading(_ state: inout State) -> CheckedContinuation<Wake, any Error>? {
        state.reading = false
        guard let index = state.calls.firstIndex(where: { $0.waiter != nil }) else { return nil }
        let waiter = state.calls[index].waiter
        state.calls[index].waiter = nil
        state.reading = true
        return waiter
    }

    /// Sends what is still buffered and reads what arrived (with `consume`), and settles every call whose `Sync` came
    /// back; the callers to wake.
    private func advance(_ state: inout State, consume: Bool) -> [(CheckedContinuation<Wake, any Error>, Wake)] {
        let raw = connection.raw
        let handle = raw.handle
        if state.failure != nil { return [] }
        if consume, state.outputPending {
            switch PQflush(handle) {
            case 0: state.outputPending = false
            case 1: break
            default: return fail(&state, raw.connectionError())
            }
        }
        if consume, PQconsumeInput(handle) != 1 { return fail(&state, raw.connectionError()) }
        var wakes: [(CheckedContinuation<Wake, any Error>, Wake)] = []
        while !state.calls.isEmpty, PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                state.calls[0].ended += 1  // the end of one command's results
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                let call = state.calls.removeFirst()
                if state.calls.isEmpty { state.lastIdle = .now }
                let outcome: Result<PGRows, PGError> =
                    call.error.map { .failure($0) }
                    ?? .success(call.rows ?? PGRows(columns: [], cells: [], affectedRowCount: 0, commandTag: ""))
                if call.abandoned { continue }
                if let waiter = call.waiter { wakes.append((waiter, .finished(outcome))) } else { state.finished[call.id] = outcome }
                continue
            }
            defer { PQclear(result) }
            guard status != PGRES_PIPELINE_ABORTED else { continue }
            let preparing = state.calls[0].ended == 0 ? state.calls[0].prepares : nil
            do throws(PGError) {
                let rows = try raw.rows(from: result)
                if let preparing { raw.prepared.insert(preparing) } else { state.calls[0].rows = rows }
            } catch {
                if state.calls[0].error == nil { state.calls[0].error = error }
            }
            if let preparing { state.preparing.remove(preparing) }
            if raw.isBroken { return wakes + fail(&state, raw.connectionError()) }
        }
        return wakes
    }

    /// The session is gone: every call in flight fails with `error`, and so does every later one.
    private func fail(_ state: inout State, _ error: PGError) -> [(CheckedContinuation<Wake, any Error>, Wake)] {
        if state.failure == nil { state.failure = error }
        connection.raw.isBroken = true
        var wakes: [(CheckedContinuation<Wake, any Error>, Wake)] = []
        for call in state.calls where !call.abandoned {
            if let waiter = call.waiter {
                wakes.append((waiter, .finished(.failure(error))))
            } else {
                state.finished[call.id] = .failure(error)
            }
        }
        state.calls.removeAll()
        return wakes
    }

    private func lost(_ state: inout State) -> PGError {
        let error = connection.raw.connectionError()
        let wakes = fail(&state, error)
        // Under the lock: resuming only schedules the callers, who then take the lock themselves.
        for (waiter, wake) in wakes { waiter.resume(returning: wake) }
        return error
    }
}
