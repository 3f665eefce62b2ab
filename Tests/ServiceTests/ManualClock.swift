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
    private let state = Mutex<(offset: Duration, sleepers: [Int: Sleeper], next: Int)>((.zero, [:], 0))

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
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || deadline <= start + state.offset { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
