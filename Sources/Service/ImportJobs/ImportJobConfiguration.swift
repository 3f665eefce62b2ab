/// How import jobs are taken in and run, with their defaults (the settings table reads and
/// prints them from here).
public struct ImportJobConfiguration: Sendable {
    /// Largest upload (413 above). Default 1 GiB.
    public var bodyLimit = 1 << 30
    /// An upload slower than this, over any window of the request read timeout, is dropped (slow
    /// clients holding a connection), instead of the small requests' whole-body deadline.
    /// Default 32 KiB/s.
    public var minimumUploadBytesPerSecond = 32 * 1024
    /// Uploads one instance receives at once (each in a scratch file of up to ``bodyLimit``
    /// until it is stored); one workspace takes at most half. Default 8.
    public var uploadsAtOnce = 8
    /// Uploads and error reports are deleted this long after their job ended. Default 7 days.
    public var retention: Duration = .seconds(7 * 86_400)
    /// Jobs one instance runs at once. Default 1.
    public var jobsAtOnce = 1
    /// Database sessions one job writes with, each leasing a bulk connection per batch. Default 2.
    public var writers = 2
    /// Rows per batch and writer. Default 20,000, as the CLI.
    public var batchSize = 20_000
    /// A running job's lease, renewed after every batch: a job whose instance died is run again
    /// by another this long after its last renewal at most. Default 30 s.
    public var lease: Duration = .seconds(30)
    /// How often an instance looks for jobs it was not told of (queued by other instances, or
    /// whose lease ran out) and for ended jobs past retention. Its own uploads wake it at once.
    /// Default 5 s.
    public var scanInterval: Duration = .seconds(5)
    /// Where a running job keeps its upload while it reads it (deleted after). Default `/tmp`.
    public var scratchDirectory = "/tmp"
    /// Lines a job's file may have besides its header (a failed job past it, before any row is
    /// written): what the job's count of each phone's outcome holds in memory is bounded by it
    /// (measured: 233 MB at 10,000,000 phones). Default 10,000,000.
    public var maximumRows = 10_000_000
    /// Runs after which a job that keeps failing on the database (or crashing its instance) is
    /// failed for good; runs stopped at a graceful shutdown do not count.
    public var maximumAttempts = 3

    public init() {}
}
