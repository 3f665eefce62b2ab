public import FoundationEssentials
public import Logging
public import PGStore
public import ServiceLifecycle

/// The feed's two background duties on each instance, as one `Service`:
///
/// - While long polls wait here, one check a second (for all of them, not one per client) of
///   whether their workspaces' feeds have changes committed through other instances; those are
///   woken. No waiting poll, no query.
/// - Retention: every hour, each workspace's changes older than the retention are pruned, in
///   short batches (``ChangeFeedStore/prune(tenant:before:)``).
public struct ChangeFeedWatcher: Service {
    let store: ChangeFeedStore
    let signals: ChangeSignals
    let retention: Duration
    let logger: Logger
    /// Paces both duties, and dates the retention.
    let clock: any ServiceClock
    /// The Idempotency-Key answers, pruned with the changes (24 hours).
    let idempotency: IdempotencyStore
    /// How often waiting polls look for other instances' changes.
    public static let checkInterval: Duration = .seconds(1)
    static let pruneInterval: Duration = .seconds(3600)

    public init(pool: ConnectionPool, signals: ChangeSignals, retention: Duration, logger: Logger, clock: any ServiceClock = SystemClock())
    {
        self.store = ChangeFeedStore(pool: pool)
        self.clock = clock
        self.idempotency = IdempotencyStore(pool: pool, clock: clock)
        self.signals = signals
        self.retention = retention
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in
                    group.addTask { await checkForOtherInstances() }
                    group.addTask {
                        repeat {
                            await pruneAll()
                        } while (try? await clock.sleep(for: Self.pruneInterval)) != nil
                    }
                }
            }
        } onGracefulShutdown: { [signals] in
            signals.stopWaiting()
        }
    }

    private func checkForOtherInstances() async {
        for await _ in signals.waitersArrived {
            while signals.isWaiting, (try? await clock.sleep(for: Self.checkInterval)) != nil {
                let waiting = signals.waiting
                do {
                    for tenant in try await store.feedsWithChanges(waiting) { signals.changed(tenant) }
                } catch {
                    logger.warning("change feed check failed", metadata: ["error": "\(error)"])
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Prunes every workspace's feed; returns the changes deleted.
    @discardableResult
    public func pruneAll() async -> Int {
        let before = clock.wallNow.addingTimeInterval(-retention.inSeconds)
        var total = 0
        var after: UUID?
        do {
            while !Task.isCancelled {
                let tenants = try await store.workspaces(after: after, limit: 500)
                for tenant in tenants {
                    total += try await store.prune(tenant: tenant, before: before)
                    try await idempotency.prune(tenant: tenant)
                }
                guard let last = tenants.last, tenants.count == 500 else { break }
                after = last
            }
        } catch {
            logger.warning("change feed retention failed", metadata: ["error": "\(error)"])
        }
        if total > 0 { logger.info("changes past retention deleted", metadata: ["contacts.changes": "\(total)"]) }
        return total
    }
}
