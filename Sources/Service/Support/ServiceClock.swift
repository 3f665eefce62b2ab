public import FoundationEssentials

/// Time as the service reads it, injected into every component that reads it (the token cache,
/// the rate limiter, the background loops, and every SQL comparison with time: leases, retries,
/// retention, which take `$now` from here rather than PostgreSQL's `now()`), so that tests drive
/// a manual clock instead of sleeping.
///
/// What stays on the real clock, by nature: socket timeouts (NIO), the pool's acquire deadlines
/// and idle checks (its state machine takes `now` as an argument, and its timers are NIO's), and
/// the time a row records (`created_at`, `updated_at`: the database's).
public protocol ServiceClock: Sendable {
    /// A monotonic instant: durations, deadlines, cache lifetimes.
    var now: ContinuousClock.Instant { get }
    /// Wall time: what is compared with times stored in the database.
    var wallNow: Date { get }
    /// Suspends until `deadline` by this clock; throws `CancellationError` when cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension ServiceClock {
    /// Suspends for `duration` by this clock.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The machine's clocks.
public struct SystemClock: ServiceClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public var wallNow: Date { Date() }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
