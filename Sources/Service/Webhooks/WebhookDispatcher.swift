import FoundationEssentials
public import Logging
public import PGStore
public import ServiceLifecycle

/// Delivers webhooks from this instance, as one `Service` (any instance delivers any workspace's;
/// each delivery is sent by one at a time, under a lease):
///
/// 1. Feeding: each enabled endpoint's new changes in the feed become queued deliveries (their
///    body fixed then), and the endpoint's feed mark moves past them. Idempotent: two instances
///    feeding the same endpoint queue each change once.
/// 2. Sending: due deliveries are claimed (oldest first, a bounded number per endpoint) up to the
///    free senders, and sent, each on its own task; the outcome is written while the lease holds.
///
/// Both run when a change commits here and at each scan (changes committed elsewhere, retries
/// that came due, leases of instances that died). A slow or dead receiver only ever holds its own
/// share of the senders, and writes never wait on deliveries. At graceful shutdown the deliveries
/// in flight are handed back for another instance (or the next start) to send again.
public struct WebhookDispatcher: Service {
    let store: WebhookStore
    let feed: ChangeFeedStore
    let cursors: PageCursors
    let signals: ChangeSignals
    let configuration: WebhookConfiguration
    let retention: Duration
    let logger: Logger
    /// This instance's name in the deliveries' leases.
    let instance = UUID()
    /// Paces the scan and the rounds, and dates retries and retention.
    let clock: any ServiceClock

    public init(
        pool: ConnectionPool, cursors: PageCursors, signals: ChangeSignals, configuration: WebhookConfiguration, retention: Duration,
        logger: Logger, clock: any ServiceClock = SystemClock()
    ) {
        self.clock = clock
        self.store = WebhookStore(pool: pool)
        self.feed = ChangeFeedStore(pool: pool)
        self.cursors = cursors
        self.signals = signals
        self.configuration = configuration
        self.retention = retention
        self.logger = logger
    }

    /// Changes read from one workspace's feed per round.
    static let feedPage = 500
    static let pruneInterval: Duration = .seconds(3600)

    /// Why a round runs.
    enum Wake: Sendable { case scan, change, sent }

    /// Rounds that a commit here starts are at least this far apart: under a write load, one
    /// round serves many commits instead of one each; a commit after a quiet spell goes at once.
    static let changeRoundSpacing: Duration = .milliseconds(20)

    public func run() async throws {
        let sender = WebhookSender(policy: configuration.policy, timeout: configuration.timeout)
        let (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(1))
        let stopping = StopSignal()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [clock, interval = configuration.scanInterval] in
                    while (try? await clock.sleep(for: interval)) != nil { wake.yield(.scan) }
                }
                group.addTask { [signals] in
                    for await _ in signals.anyChange { wake.yield(.change) }
                }
                let inFlight = JobCount()
                var lastPrune: ContinuousClock.Instant?
                var lastChangeRound: ContinuousClock.Instant?
                // Whether the last look found any enabled endpoint: while none, a commit here
                // has nothing to feed, and only the scan looks again.
                var anyEndpoint = true
                wake.yield(.scan)
                for await reason in wakes {
                    if stopping.isSet { break }
                    if reason == .change {
                        guard anyEndpoint else { continue }
                        // A commit after a quiet spell is fed at once; under a write load rounds
                        // are spaced, each serving the commits that came meanwhile.
                        if let last = lastChangeRound, case let since = clock.now - last, since < Self.changeRoundSpacing {
                            try? await clock.sleep(for: Self.changeRoundSpacing - since)
                        }
                        lastChangeRound = clock.now
                    }
                    if lastPrune.map({ clock.now - $0 > Self.pruneInterval }) ?? true {
                        lastPrune = clock.now
                        await prune()
                    }
                    // Woken by the next commit here (armed before reading, so a commit during
                    // the read is not missed) only while there is something to feed.
                    signals.armChangeNotice(true)
                    anyEndpoint = await feedAll()
                    if !anyEndpoint { signals.armChangeNotice(false) }
                    let free = configuration.senders - inFlight.value
                    guard free > 0 else { continue }
                    let claims: [WebhookStore.Claim]
                    do {
                        claims = try await store.claim(
                            owner: instance, limit: free, perEndpoint: configuration.perEndpoint, lease: configuration.lease)
                    } catch {
                        logger.warning("webhook queue unreachable", metadata: ["error": "\(error)"])
                        continue
                    }
                    for claim in claims {
                        inFlight.add(1)
                        group.addTask {
                            await deliver(claim, with: sender)
                            inFlight.add(-1)
                            wake.yield(.sent)
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            wake.finish()
        }
        // Whatever was in flight is due again at once, for another instance or the next start.
        do { try await store.release(owner: instance) } catch {
            logger.warning("webhook deliveries not handed back; they are retried when their lease ends", metadata: ["error": "\(error)"])
        }
        await sender.shutdown()
    }

    /// Queues every enabled endpoint's new changes; whether there is any enabled endpoint.
    @discardableResult
    func feedAll() async -> Bool {
        let endpoints: [WebhookStore.FeedState]
        do { endpoints = try await store.endpointsToFeed() } catch {
            logger.warning("webhook endpoints unreachable", metadata: ["error": "\(error)"])
            return true
        }
        for (tenant, group) in Dictionary(grouping: endpoints, by: \.tenant) {
            do { try await feed(tenant: tenant, endpoints: group) } catch {
                logger.warning("webhook feeding failed", metadata: ["contacts.tenant_id": "\(tenant)", "error": "\(error)"])
            }
        }
        return !endpoints.isEmpty
    }

    /// One workspace: its feed read once from the endpoint furthest behind, each endpoint given
    /// the changes past its own mark that it asked for.
    private func feed(tenant: UUID, endpoints: [WebhookStore.FeedState]) async throws {
        var marks = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.endpoint, $0.fedThrough) })
        for _ in 0..<10 {
            guard let from = marks.values.min() else { return }
            let page: ChangeFeedStore.Page
            do {
                page = try await feed.read(tenant: tenant, after: .init(position: from), limit: Self.feedPage)
            } catch is ChangeFeedStore.CursorExpired {
                // Disabled past retention: it resumes from the oldest change kept.
                page = try await feed.read(tenant: tenant, after: .init(position: nil), limit: Self.feedPage)
            }
            guard let through = page.next.position, through > from else { return }
            for endpoint in endpoints where (marks[endpoint.endpoint] ?? 0) < through {
                let mark = marks[endpoint.endpoint] ?? 0
                let deliveries = page.changes
                    .filter { $0.position > mark && endpoint.events.contains($0.kind.rawValue) }
                    .map { (change: $0.id.uuid, position: $0.position, body: body(of: $0, tenant: tenant)) }
                try await store.enqueue(tenant: tenant, endpoint: endpoint.endpoint, deliveries: deliveries, through: through)
                marks[endpoint.endpoint] = through
            }
            if page.changes.count < Self.feedPage { return }
        }
    }

    /// `{"type", "timestamp", "data": <the change>}`.
    func body(of change: Change, tenant: UUID) -> String {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("type", change.kind.rawValue)
        writer.field("timestamp", Contact.timestamp(change.occurredAt))
        writer.key("data")
        change.write(to: &writer, cursor: cursors.issue(.init(position: change.position), tenant: tenant))
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private func deliver(_ claim: WebhookStore.Claim, with sender: WebhookSender) async {
        let body = Array(claim.body.utf8)
        let id = ULID(uuid: claim.change).description
        let timestamp = Int64(Date().timeIntervalSince1970)
        let started = ContinuousClock.now
        let outcome = await sender.send(
            url: claim.url, body: body,
            headers: [
                ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", WebhookSignature.header(id: id, timestamp: timestamp, body: body, secrets: claim.secrets)),
            ])
        if Task.isCancelled { return }  // shutting down: handed back, not counted
        let nextAttempt: Date? =
            outcome.succeeded || outcome.gone || claim.attempt > configuration.retryDelays.count
            ? nil : clock.wallNow.addingTimeInterval(configuration.retryDelays[claim.attempt - 1].inSeconds * Double.random(in: 0.9...1.1))
        do {
            let held = try await store.finish(
                claim, owner: instance, statusCode: outcome.statusCode, error: outcome.error, duration: .now - started,
                succeeded: outcome.succeeded, gone: outcome.gone, nextAttempt: nextAttempt)
            if !held { logger.notice("webhook lease lost before the outcome was written", metadata: ["contacts.change_id": "\(id)"]) }
        } catch {
            logger.warning("webhook outcome not written; the delivery is retried when its lease ends", metadata: ["error": "\(error)"])
        }
    }

    private func prune() async {
        do {
            let pruned = try await store.prune(before: clock.wallNow.addingTimeInterval(-retention.inSeconds))
            if pruned > 0 { logger.info("webhook history past retention deleted", metadata: ["contacts.rows": "\(pruned)"]) }
        } catch {
            logger.warning("webhook retention failed", metadata: ["error": "\(error)"])
        }
    }
}
