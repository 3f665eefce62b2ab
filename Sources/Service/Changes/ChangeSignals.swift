public import FoundationEssentials
import Synchronization

/// The long polls this instance holds, by workspace, and the signal that wakes them: a write that
/// commits here calls ``changed(_:)`` for its workspace; ``ChangeFeedWatcher`` calls it for
/// changes committed through other instances (one shared check a second, not one per client).
/// A waiting request holds no database connection and runs no query until it is woken.
public final class ChangeSignals: Sendable {
    private struct State {
        var waiters: [UUID: [Int: (seen: Int64, waiter: Waiter)]] = [:]
        var nextID = 0
        /// Set at graceful shutdown: waiting polls answer at once, so the server's drain is not
        /// held up to 30 s by clients that are only waiting.
        var stopped = false
    }

    private let state = Mutex(State())
    /// Yields when a workspace's change was committed here while ``armChangeNotice()`` asked for
    /// it (webhook feeding wakes on it), and when the first long poll starts waiting (the
    /// watcher's shared check starts on it).
    private let changes: AsyncStream<Void>.Continuation
    public let anyChange: AsyncStream<Void>
    /// Whether the next commit yields on ``anyChange``: one yield per arming, so a write load
    /// wakes the feeding once per round rather than once per write (each wake-up was a thread
    /// switch per request: BENCHMARKS.md, round three), and not at all while it has nothing to feed.
    private let noticeArmed = Atomic<Bool>(false)
    private let waitingStarted: AsyncStream<Void>.Continuation
    let waitersArrived: AsyncStream<Void>

    public init() {
        (anyChange, changes) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (waitersArrived, waitingStarted) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A change of `tenant` was committed: every long poll of it reads again.
    public func changed(_ tenant: UUID) {
        let woken = state.withLock { $0.waiters.removeValue(forKey: tenant) }
        for entry in woken?.values ?? [:].values { entry.waiter.resume() }
        if noticeArmed.load(ordering: .relaxed), noticeArmed.exchange(false, ordering: .acquiringAndReleasing) { changes.yield() }
    }

    /// Whether the next commit here yields once on ``anyChange``.
    public func armChangeNotice(_ armed: Bool) {
        noticeArmed.store(armed, ordering: .releasing)
    }

    /// Graceful shutdown: every long poll answers now with what it has, and none waits again.
    public func stopWaiting() {
        let woken = state.withLock { state in
            state.stopped = true
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap(\.values)
        }
        for entry in woken { entry.waiter.resume() }
    }

    /// Each workspace with long polls waiting, and the lowest position they have seen.
    var waiting: [UUID: Int64] {
        state.withLock { state in state.waiters.compactMapValues { $0.values.map(\.seen).min() } }
    }

    /// Whether any long poll waits.
    public var isWaiting: Bool { state.withLock { !$0.waiters.isEmpty } }

    /// Reads with `read` until it brings news (`hasNews`), `deadline` passes, or the caller is
    /// cancelled (a client that left); between reads it waits for `tenant`'s next change. Each
    /// read starts after this long poll is registered, so a change that commits between a read
    /// and the wait wakes it at once instead of being missed.
    public func read<Result>(
        tenant: UUID, seen: Int64, until deadline: ContinuousClock.Instant,
        _ read: () async throws -> Result, hasNews: (Result) -> Bool
    ) async throws -> Result {
        while true {
            let waiter = Waiter()
            let (id, first, stopped) = state.withLock { state in
                if state.stopped { return (0, false, true) }
                state.nextID += 1
                let first = state.waiters.isEmpty
                state.waiters[tenant, default: [:]][state.nextID] = (seen, waiter)
                return (state.nextID, first, false)
            }
            if stopped { return try await read() }
            if first { waitingStarted.yield() }
            defer {
                state.withLock { state in
                    state.waiters[tenant]?.removeValue(forKey: id)
                    if state.waiters[tenant]?.isEmpty == true { state.waiters.removeValue(forKey: tenant) }
                }
            }
            let result = try await read()
            let left = deadline - .now
            if hasNews(result) || left <= .zero || Task.isCancelled { return result }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await waiter.wait() }
                group.addTask {
                    try? await Task.sleep(for: left)
                    waiter.resume()
                }
                await group.next()
                group.cancelAll()
            }
            if Task.isCancelled { return result }
        }
    }

    /// A registration is made before the request reads the feed, so a change that commits
    /// between the read and the wait resumes it before it has started waiting.
    private final class Waiter: Sendable {
        private enum Phase {
            case idle
            case waiting(CheckedContinuation<Void, Never>)
            case resumed
        }
        private let phase = Mutex(Phase.idle)

        func wait() async {
            await withCheckedContinuation { continuation in
                let already = phase.withLock { phase in
                    if case .resumed = phase { return true }
                    phase = .waiting(continuation)
                    return false
                }
                if already { continuation.resume() }
            }
        }

        func resume() {
            let continuation = phase.withLock { phase -> CheckedContinuation<Void, Never>? in
                defer { phase = .resumed }
                if case .waiting(let continuation) = phase { return continuation }
                return nil
            }
            continuation?.resume()
        }
    }
}
