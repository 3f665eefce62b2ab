import CLibPQ
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes tasks when a socket they wait on turns readable or writable: one thread blocked in
/// `epoll_wait` for every connection of the process.
///
/// libpq in non-blocking mode never blocks, so a request sends its statements and reads its
/// results from the thread it already runs on; only the waiting is left, and that is all this
/// does (psycopg 3's `waiting.py` plays the same part for its generators). NIO has no public way
/// to watch a socket it does not own, and libpq must read the socket itself, hence an epoll of
/// our own. Registrations are one-shot (`EPOLLONESHOT`): each wait arms the socket once. Nothing
/// is ever unregistered by hand: closing a socket removes it from the set, and libpq may close
/// one itself when the connection breaks, after which its number can belong to a new connection
/// (so a "forget this socket" would hit the wrong one).
final class SocketReactor: Sendable {
    enum Interest: Sendable {
        case readable, readableOrWritable
    }

    /// The process's reactor, started on first use (a thread, not a task; it lives as long as
    /// the process, as NIO's singleton event loops do). Not a service of the lifecycle: every
    /// connection of the process waits on it, the pool's and the CLI's alike, including the
    /// pool's own closing at the end of the lifecycle, so it must outlive any service group; it
    /// holds no resource that outlives the process (an epoll descriptor, one blocked thread).
    static let shared = SocketReactor()

    private let epoll: Int32
    private let waiting = Mutex<[Int32: CheckedContinuation<Void, any Error>]>([:])

    private init() {
        epoll = clibpq_epoll_create()
        precondition(epoll >= 0, "epoll_create1 failed: \(errno)")
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                let reactor = Unmanaged<SocketReactor>.fromOpaque(context!).takeRetainedValue()
                reactor.loop()
                return nil
            }, context)
        precondition(created == 0, "could not start the socket reactor thread")
        pthread_detach(thread)
    }

    /// Suspends until `socket` is ready for `interest` (or has failed: the caller finds out from
    /// libpq). Cancelling the task ends the wait with `CancellationError`.
    func wait(for socket: Int32, _ interest: Interest) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if let earlier = waiting.withLock({ $0.updateValue(continuation, forKey: socket) }) {
                    earlier.resume(throwing: CancellationError())  // never: one waiter per connection
                }
                if Task.isCancelled, let mine = waiting.withLock({ $0.removeValue(forKey: socket) }) {
                    mine.resume(throwing: CancellationError())
                    return
                }
                if clibpq_epoll_arm(epoll, socket, interest == .readableOrWritable ? 1 : 0) != 0,
                    let mine = waiting.withLock({ $0.removeValue(forKey: socket) })
                {
                    // Not a socket epoll can watch (closed): let libpq report what happened.
                    mine.resume()
                }
            }
        } onCancel: {
            if let continuation = waiting.withLock({ $0.removeValue(forKey: socket) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Ends the wait on `socket` now, as if it were ready: for a session failed from elsewhere
    /// (its pool closing), whose reader would otherwise wait for a socket about to be closed.
    func interrupt(_ socket: Int32) {
        waiting.withLock { $0.removeValue(forKey: socket) }?.resume()
    }

    private func loop() {
        var ready = [Int32](repeating: 0, count: 64)
        while true {
            let count = clibpq_epoll_wait(epoll, &ready, Int32(ready.count))
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait failed: \(errno)")
            }
            // Every ready socket of this wake-up is resumed at once: under load one wake-up
            // serves several requests.
            let continuations = waiting.withLock { waiting in
                ready[..<Int(count)].compactMap { waiting.removeValue(forKey: $0) }
            }
            for continuation in continuations { continuation.resume() }
        }
    }
}
