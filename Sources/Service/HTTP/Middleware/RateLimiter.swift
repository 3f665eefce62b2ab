public import FoundationEssentials
import Synchronization

/// Per-workspace token buckets: each workspace may make `rate` requests a second on average, in
/// bursts of up to `burst`. A refused request costs no database work, so one noisy workspace
/// cannot slow the others down.
public final class RateLimiter: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Requests per second per workspace; 0 turns limiting off.
        public var rate: Double
        public var burst: Double

        public init(rate: Double, burst: Double? = nil) {
            self.rate = rate
            self.burst = max(1, burst ?? rate * 2)
        }

        public static let off = Configuration(rate: 0)
    }

    /// What a request was told.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        public var limit: Int
        public var remaining: Int
        /// Seconds until a token is available (when refused).
        public var retryAfter: Int
    }

    public let configuration: Configuration
    private let buckets = Mutex<[UUID: (tokens: Double, updated: ContinuousClock.Instant)]>([:])

    private let clock: any ServiceClock

    public init(_ configuration: Configuration, clock: any ServiceClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
    }

    public var isOn: Bool { configuration.rate > 0 }

    public func take(_ workspace: UUID) -> Decision {
        let now = clock.now
        let rate = configuration.rate
        let burst = configuration.burst
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bounded memory
            var bucket = buckets[workspace] ?? (burst, now)
            let elapsed = now - bucket.updated
            let seconds = elapsed.inSeconds
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[workspace] = bucket
            let wait = allowed ? 0 : Int(((1 - bucket.tokens) / rate).rounded(.up))
            return Decision(allowed: allowed, limit: Int(burst), remaining: Int(bucket.tokens), retryAfter: max(wait, allowed ? 0 : 1))
        }
    }
}
