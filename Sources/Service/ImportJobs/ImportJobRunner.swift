public import FoundationEssentials
public import Logging
public import PGStore
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs queued import jobs, any job from any instance, one run per job at a time (the queue's
/// lease), up to ``ImportJobConfiguration/jobsAtOnce`` at once, with the CLI's engine
/// (``CSVImporter``) on the bulk executor and bulk leases: while interactive requests wait, a job
/// holds at most the pool's bulk share, and its threads run at a lower priority.
///
/// A `Service`: `run()` owns every job it starts. At graceful shutdown a running job stops between
/// two chunks and goes back to the queue; the next start (here or elsewhere) runs it again from
/// its first row, which the upsert makes safe: rows the first run wrote count as unchanged.
public struct ImportJobRunner: Service {
    let store: ImportJobStore
    let pool: ConnectionPool
    let configuration: ImportJobConfiguration
    let logger: Logger
    /// This instance's name in the queue's leases.
    let instance = UUID()
    /// Claims only this workspace's jobs when set: tests that share one queue.
    var onlyTenant: UUID?
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    /// Told after each batch a job writes: the change feed's long polls wake.
    let changeSignals: ChangeSignals
    /// Paces the scan, and dates the retention.
    let clock: any ServiceClock

    public init(
        pool: ConnectionPool, configuration: ImportJobConfiguration, logger: Logger, changeSignals: ChangeSignals = ChangeSignals(),
        clock: any ServiceClock = SystemClock()
    ) {
        self.pool = pool
        self.clock = clock
        self.changeSignals = changeSignals
        self.store = ImportJobStore(pool: pool, clock: clock)
        self.configuration = configuration
        self.logger = logger
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the runner a job was queued here, so it need not wait for its next scan.
    public func jobQueued() { wakeup.yield() }

    public func run() async throws {
        let stopping = StopSignal()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { jobs in
                let running = JobCount()
                await withDiscardingTaskGroup { scan in
                    // Jobs queued by other instances, expired leases and retention are seen only
                    // by looking: this is the one timer, and it only wakes the loop below.
                    scan.addTask { [wakeup, clock, interval = configuration.scanInterval] in
                        while (try? await clock.sleep(for: interval)) != nil { wakeup.yield() }
                    }
                    wakeup.yield()
                    for await _ in wakeups {
                        if stopping.isSet { break }
                        await purgeExpired()
                        while running.value < configuration.jobsAtOnce, !stopping.isSet, let claim = await claimNext() {
                            running.add(1)
                            jobs.addTask {
                                await self.run(claim, stopping: stopping)
                                running.add(-1)
                                self.wakeup.yield()
                            }
                        }
                    }
                    scan.cancelAll()
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            wakeup.finish()
        }
    }

    /// Runs queued jobs (of `tenant` only, when given) one after another until none is left to
    /// claim: tests, and a one-shot worker.
    public func runQueued(tenant: UUID? = nil) async {
        while let claim = await claimNext(tenant: tenant) { await run(claim, stopping: StopSignal()) }
    }

    private func claimNext(tenant: UUID? = nil) async -> ImportJobStore.Claim? {
        do {
            return try await store.claim(owner: instance, lease: configuration.lease, tenant: tenant ?? onlyTenant)
        } catch {
            logger.warning("import queue unreachable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func purgeExpired() async {
        do {
            let purged = try await store.purge(endedBefore: configuration.retention)
            if purged > 0 { logger.info("import uploads past retention deleted", metadata: ["contacts.jobs": "\(purged)"]) }
        } catch {
            logger.warning("import retention failed", metadata: ["error": "\(error)"])
        }
    }

    /// One run of one job, start to end; every outcome is written to the job or the queue.
    /// `afterBatch` runs after each batch is written (tests stop a run there).
    func run(_ claim: ImportJobStore.Claim, stopping: StopSignal, afterBatch: @escaping @Sendable () -> Void = {}) async {
        var logger = logger
        logger[metadataKey: "contacts.tenant_id"] = "\(claim.tenant)"
        logger[metadataKey: "contacts.import_id"] = "\(ULID(uuid: claim.job))"
        let file = URL(fileURLWithPath: configuration.scratchDirectory).appendingPathComponent("contacts-import-\(claim.job).csv")
        defer { unlink(file.path) }
        do {
            guard let (chunks, attempts, crashes) = try await store.start(claim) else {
                // It ended already (its queue entry was not marked): only the entry is left to mark.
                try await store.retire(claim)
                return
            }
            // A job whose runs ended with their process twice is not given a third: if the file
            // is what kills the service, running it again would do so in a loop.
            guard crashes < Self.crashesTolerated else {
                logger.error("import failed: its runs crashed", metadata: ["contacts.crashes": "\(crashes)"])
                try await store.finish(claim, summary: nil, error: Self.crashedMessage)
                return
            }
            guard attempts <= configuration.maximumAttempts else {
                try await store.finish(
                    claim, summary: nil, error: "the import failed \(configuration.maximumAttempts) times (database errors or crashes)")
                return
            }
            logger.info("import started", metadata: ["contacts.attempt": "\(attempts)"])
            let summary = try await withTaskExecutorPreference(BulkExecutor.shared) {
                try await store.download(
                    claim, chunks: chunks, to: file, lease: configuration.lease, maximumRows: configuration.maximumRows)
                return try await importUpload(file, claim: claim, stopping: stopping, afterBatch: afterBatch)
            }
            try await store.finish(claim, summary: summary, error: nil)
            logger.info("import succeeded", metadata: ["contacts.rows": "\(summary.rows)"])
        } catch CSVImporter.ImportError.stopped {
            logger.info("import stopped at shutdown; queued again")
            try? await store.release(claim, stopped: true)
        } catch let error as CSVImporter.ImportError {
            logger.info("import failed", metadata: ["error": "\(error)"])
            try? await store.finish(claim, summary: nil, error: error.description)
        } catch ImportJobError.leaseLost {
            logger.warning("import lease lost: another instance runs the job now")
        } catch {
            logger.error("import interrupted; queued again", metadata: ["error": "\(error)"])
            try? await store.release(claim, stopped: false)
        }
    }

    private func importUpload(
        _ file: URL, claim: ImportJobStore.Claim, stopping: StopSignal, afterBatch: @escaping @Sendable () -> Void
    ) async throws -> CSVImporter.Summary {
        let report = ErrorReportBuffer(limit: Self.reportedErrors)
        let rowsRead = Atomic<Int>(0)
        let importer = CSVImporter(
            pool: pool, lease: PoolLease(owner: claim.tenant, isBulk: true, acquireTimeout: .seconds(300)), writers: configuration.writers,
            tenant: claim.tenant,
            batchSize: configuration.batchSize)
        let (store, lease, changeSignals) = (store, configuration.lease, changeSignals)
        let summary = try await importer.run(
            file: file, report: { report.append($0) }, progress: { rowsRead.store($0, ordering: .relaxed) },
            written: {
                try await store.report(report.take(), claim: claim)
                try await store.progress(claim, rowsRead: rowsRead.load(ordering: .relaxed))
                try await store.renew(claim, lease: lease)
                changeSignals.changed(claim.tenant)
                afterBatch()
            },
            shouldStop: { stopping.isSet }, maximumRows: configuration.maximumRows)
        try await store.report(report.take(), claim: claim)
        if report.omitted > 0 { try await store.omitted(report.omitted, claim: claim) }
        return summary
    }

    /// Errors kept in a job's report; rows past them are still counted invalid, and the report's
    /// last line says how many errors it leaves out.
    static let reportedErrors = 100_000
    /// Runs of one job that may end with their process (a crash, a kill, a lost lease) before the
    /// job is failed instead of run again.
    static let crashesTolerated = 2
    static let crashedMessage =
        "the import was stopped twice while it ran (its service crashed or was killed) and is not run again: check the file"

}

/// Jobs this instance runs now.
final class JobCount: Sendable {
    private let count = Atomic(0)
    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Set once, at graceful shutdown.
final class StopSignal: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// A job's row errors between two writes to its report, numbered within their row, and at most
/// `limit` in all.
final class ErrorReportBuffer: Sendable {
    private let state = Mutex((pending: [(error: CSVImporter.RowError, seq: Int)](), lastRow: 0, seq: 0, kept: 0, omitted: 0))
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func append(_ error: CSVImporter.RowError) {
        state.withLock { state in
            guard state.kept < limit else {
                state.omitted += 1
                return
            }
            state.seq = error.row == state.lastRow ? state.seq + 1 : 0
            state.lastRow = error.row
            state.kept += 1
            state.pending.append((error, state.seq))
        }
    }

    /// Errors past the limit.
    var omitted: Int { state.withLock { $0.omitted } }

    func take() -> [(error: CSVImporter.RowError, seq: Int)] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }
}
