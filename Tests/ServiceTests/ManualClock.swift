import Foundation
import Service
import Synchronization

/// A ``ServiceClock`` that moves only when a test says so: both its instant and its wall time
/// start at the machine's and move by ``advance(by:)``, which wakes the sleepers whose deadline it
/// passes. Written here rather than taken from pointfreeco's swift-clocks: its one version in
/// reach (1.1.1) needs Swift tools 6.4, and its `TestClock` has no wall time.
final class ManualClock: ServiceClock {
    private struct Sleeper {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let start = ContinuousClock.now
    private let wallStart = Date()
    private let state = Mutex<(offset: Duration, sleepers: [Int: Sleeper], next: Int, watchers: [(count: Int, CheckedContinuation<Void, Never>)])>(
        (.zero, [:], 0, []))

    init() {}

    var now: ContinuousClock.Instant { start + state.withLock { $0.offset } }
    var wallNow: Date { wallStart.addingTimeInterval(TimeInterval(state.withLock { $0.offset } / .milliseconds(1)) / 1000) }

    /// How many sleep on this clock now: a test waits for a loop to be asleep before it advances.
    var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// Moves both times forward and wakes whoever's deadline is passed.
    func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.offset += duration
            let now = start + state.offset
            let due = state.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { state.sleepers[id] = nil }
            return Array(due.values)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resumeNow, watchers) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if Task.isCancelled || deadline <= start + state.offset { return (true, []) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    let count = state.sleepers.count
                    let due = state.watchers.filter { $0.count <= count }.map(\.1)
                    state.watchers.removeAll { $0.count <= count }
                    return (false, due)
                }
                for watcher in watchers { watcher.resume() }
                if resumeNow { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns once at least `count` tasks sleep on this clock: a test lets a loop reach its
    /// pause before it advances the clock past it.
    func sleepers(atLeast count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
