import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Where bulk work runs (create-contacts batches: parsing, validating and answering 1,000
/// contacts): threads of their own at a lower OS priority (nice 10), so that while batches keep
/// both cores busy, the kernel still runs interactive requests first. Without it, a light
/// workspace's requests queued behind batch work on Swift's two cooperative threads (p99 ×100
/// during a flood, measured by `make bench`). A batch alone still gets every core it can use.
///
/// A `TaskExecutor`: a handler runs on it with `withTaskExecutorPreference(BulkExecutor.shared)`,
/// child tasks included. One per process, like NIO's own singletons. Not a service of the
/// lifecycle: a `TaskExecutor` must exist for as long as any task may prefer it, and handlers
/// that do are still finishing while the HTTP server service drains at shutdown; its idle
/// threads cost nothing, and the process's exit ends them.
public final class BulkExecutor: TaskExecutor {
    public static let shared = BulkExecutor(threads: System.coreCount)

    private let threads: NIOThreadPool
    /// Set on a thread once it has lowered its priority.
    private let lowered = ThreadSpecificVariable<Marker>()
    private final class Marker: Sendable {}

    init(threads count: Int) {
        threads = NIOThreadPool(numberOfThreads: max(1, count))
        threads.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        threads.submit { [lowered] _ in
            if lowered.currentValue == nil {
                // Linux keeps the nice value per thread; `0` names the calling one.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                lowered.currentValue = Marker()
            }
            job.runSynchronously(on: executor)
        }
    }
}
