import Digests
public import FoundationEssentials
public import Hummingbird
import NIOCore
public import PGStore

#if canImport(Glibc)
    import Glibc
#endif

/// Import jobs in the database: the upload, the job rows, the error report, and the queue.
public struct ImportJobStore: Sendable {
    let pool: ConnectionPool

    /// Dates retention (leases are the database's time: one clock for every instance).
    let clock: any ServiceClock

    public init(pool: ConnectionPool, clock: any ServiceClock = SystemClock()) {
        self.pool = pool
        self.clock = clock
    }

    /// The upload is stored in chunks of this size (the last one shorter).
    static let chunkBytes = 1 << 20

    /// A job a runner holds: whose it is, and the lease that says so.
    public struct Claim: Sendable, Equatable {
        public var job: UUID
        public var tenant: UUID
        public var owner: UUID
    }

    /// An upload received whole into a scratch file, not stored yet.
    public struct ReceivedUpload: Sendable {
        let id: ULID
        let descriptor: Int32
        let path: String
        /// Its size in bytes.
        public let size: Int
        /// SHA-256 of its bytes (an `Idempotency-Key` compares it).
        public let digest: [UInt8]
    }

    /// Receives `body` into a scratch file, digesting it on the way, and hands it to `use` (which
    /// stores it as a new job's upload with ``store(_:tenant:)``); the file is gone afterwards,
    /// whatever happens.
    ///
    /// The body is received at the client's pace, with no database connection held: a client that
    /// trickles a gigabyte in over hours holds a file descriptor, not a bulk connection. A client
    /// that drops halfway leaves nothing; past `limit` bytes the upload stops with a 413.
    public func receive<T>(
        _ body: RequestBody, limit: Int, scratchDirectory: String, _ use: (ReceivedUpload) async throws -> T
    ) async throws -> T {
        let id = ULID()
        let scratch = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("contacts-upload-\(id).csv")
        let descriptor = open(scratch.path, O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ImportJobError.scratch(path: scratch.path, errno: errno) }
        defer {
            close(descriptor)
            unlink(scratch.path)
        }
        var total = 0
        var hasher = SHA256.Hasher()
        for try await part in body {
            total += part.readableBytes
            guard total <= limit else { throw APIError.bodyTooLarge(limit: limit) }
            try part.withUnsafeReadableBytes { bytes in
                hasher.update(bytes)
                guard Self.writeAll(descriptor, bytes) else { throw ImportJobError.scratch(path: scratch.path, errno: errno) }
            }
        }
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw ImportJobError.scratch(path: scratch.path, errno: errno) }
        return try await use(ReceivedUpload(id: id, descriptor: descriptor, path: scratch.path, size: total, digest: hasher.finalize()))
    }

    /// Stores a received upload as a new job and queues it, at the disk's pace, in one transaction
    /// on a long-held bulk lease (at most the pool's bulk share, and never all of it for one
    /// workspace while another waits), or in the transaction of the request's `Idempotency-Key`.
    public func store(_ upload: ReceivedUpload, tenant: UUID) async throws -> ImportJob {
        try await pool.withConnection(lease: Self.uploadLease(tenant)) { connection in
            try await connection.withTransaction { connection in
                try await connection.query(ContactStore.tenantScope(tenant))
                try await connection.query(ImportJobSQL.insertJob, [tenant, upload.id.uuid])
                var chunk = [UInt8](repeating: 0, count: Self.chunkBytes)
                var chunks = 0
                while true {
                    let count = chunk.withUnsafeMutableBytes { Self.readFull(upload.descriptor, $0) }
                    guard count >= 0 else { throw ImportJobError.scratch(path: upload.path, errno: errno) }
                    if count == 0 { break }
                    let hex = "\\x" + hexadecimal(chunk[..<count])
                    try await connection.query(ImportJobSQL.insertChunk, [tenant, upload.id.uuid, chunks, hex])
                    chunks += 1
                    if count < Self.chunkBytes { break }
                }
                let rows = try await connection.query(ImportJobSQL.sealUpload, [tenant, upload.id.uuid, upload.size, chunks])
                try await connection.query(ImportQueueSQL.enqueue, [upload.id.uuid, tenant])
                return try ImportJob(row: rows[0])
            }
        }
    }

    /// The lease an upload is stored on.
    public static func uploadLease(_ tenant: UUID) -> PoolLease {
        PoolLease(owner: tenant, isBulk: true, isHeldLong: true)
    }

    /// Writes all of `bytes`, across short writes.
    private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Reads until `buffer` is full or the file ends; the count, or -1.
    private static func readFull(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var offset = 0
        while offset < buffer.count {
            let count = read(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return -1 }
            if count == 0 { break }
            offset += count
        }
        return offset
    }

    public func job(id: ULID, tenant: UUID) async throws -> ImportJob? {
        try await inTenant(tenant, PGQuery(ImportJobSQL.byID, [tenant, id.uuid])).first.map(ImportJob.init(row:))
    }

    /// One page of the workspace's jobs, newest first; one extra row tells whether there is more.
    public func jobs(before: ULID?, limit: Int, tenant: UUID) async throws -> (jobs: [ImportJob], hasMore: Bool) {
        let query =
            before.map { PGQuery(ImportJobSQL.pageBefore, [tenant, $0.uuid, limit + 1]) }
            ?? PGQuery(ImportJobSQL.firstPage, [tenant, limit + 1])
        let jobs = try await inTenant(tenant, query).map(ImportJob.init(row:))
        return (Array(jobs.prefix(limit)), jobs.count > limit)
    }

    /// Whether the job exists in `tenant`, whether retention has deleted its report, and how many
    /// errors the report leaves out (past its cap).
    public func reportState(id: ULID, tenant: UUID) async throws -> (exists: Bool, purged: Bool, omitted: Int) {
        guard let row = try await inTenant(tenant, PGQuery(ImportJobSQL.exists, [tenant, id.uuid])).first else { return (false, false, 0) }
        return (true, try row.decode(Date?.self, column: "purged_at") != nil, try row.decode(Int.self, column: "errors_omitted"))
    }

    /// The job's error report in row order, a page of `CSVImporter.RowError`s at a time (each page
    /// its own statement).
    public func errors(job: ULID, tenant: UUID, _ page: ([CSVImporter.RowError]) async throws -> Void) async throws {
        var after = (row: 0, seq: -1)
        while true {
            let rows = try await inTenant(tenant, PGQuery(ImportJobSQL.errorsPage, [tenant, job.uuid, after.row, after.seq, 5_000]))
            let errors = try rows.map {
                CSVImporter.RowError(
                    row: try $0.decode(Int.self, column: "row_number"), field: try $0.decode(String.self, column: "field"),
                    reason: try $0.decode(String.self, column: "reason"))
            }
            if !errors.isEmpty { try await page(errors) }
            guard rows.count == 5_000, let last = rows.last else { return }
            after = (try last.decode(Int.self, column: "row_number"), try last.decode(Int.self, column: "seq"))
        }
    }

    // MARK: Runs

    /// Claims the oldest job nobody holds (of `tenant` only, when given), for `owner`, leased for `lease`.
    public func claim(owner: UUID, lease: Duration, tenant: UUID? = nil) async throws -> Claim? {
        let rows = try await pool.withConnection {
            try await $0.query(ImportQueueSQL.claim, [owner, Int(lease.inSeconds.rounded(.up)), tenant])
        }
        guard let row = rows.first else { return nil }
        return Claim(job: try row.decode(UUID.self, column: "job_id"), tenant: try row.decode(UUID.self, column: "tenant_id"), owner: owner)
    }

    /// Extends the lease; throws ``ImportJobError/leaseLost`` when another runner holds the job now.
    func renew(_ claim: Claim, lease: Duration) async throws {
        let rows = try await pool.withConnection {
            try await $0.query(ImportQueueSQL.renew, [claim.job, claim.owner, Int(lease.inSeconds.rounded(.up))])
        }
        guard rows.affectedRowCount == 1 else { throw ImportJobError.leaseLost }
    }

    /// Marks the job running for a new attempt; its chunk count, how many runs there were that
    /// did not stop at a shutdown (this one included) and how many of them crashed, or `nil` when
    /// it has ended already.
    func start(_ claim: Claim) async throws -> (chunks: Int, attempts: Int, crashes: Int)? {
        let rows = try await pool.withConnection(lease: PoolLease(owner: claim.tenant)) { connection in
            try await connection.pipeline([
                ContactStore.tenantScope(claim.tenant),
                PGQuery(ImportJobSQL.start, [claim.tenant, claim.job]),
                PGQuery(ImportJobSQL.discardErrors, [claim.tenant, claim.job]),
            ])[1]
        }
        guard let row = rows.first else { return nil }
        return (
            try row.decode(Int.self, column: "upload_chunks"), try row.decode(Int.self, column: "failed_or_current"),
            try row.decode(Int.self, column: "crashed_runs")
        )
    }

    /// Writes the upload to `file`, chunk by chunk (one in memory at a time), renewing the lease;
    /// throws ``CSVImporter/ImportError/tooManyRows(_:)`` once the file has more than `maximumRows`
    /// records after its header (records as the import reads them, not lines: a quoted cell may
    /// hold line breaks).
    func download(_ claim: Claim, chunks: Int, to file: URL, lease: Duration, maximumRows: Int) async throws {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ImportJobError.scratch(path: file.path, errno: errno) }
        defer { close(descriptor) }
        var counter = CSVRecordCounter()
        for seq in 0..<chunks {
            let rows = try await inTenant(claim.tenant, PGQuery(ImportJobSQL.chunk, [claim.tenant, claim.job, seq]), bulk: true)
            guard let row = rows.first else { throw PGError(kind: .unexpectedResponse, message: "an upload chunk is missing") }
            let bytes = try row.decode(PGBytea.self, column: "data").bytes
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == bytes.count else { throw ImportJobError.scratch(path: file.path, errno: errno) }
            counter.count(bytes)
            guard counter.records <= maximumRows + 1 else { throw CSVImporter.ImportError.tooManyRows(maximumRows) }
            try await renew(claim, lease: lease)
        }
        guard counter.recordsAtEnd <= maximumRows + 1 else { throw CSVImporter.ImportError.tooManyRows(maximumRows) }
    }

    func progress(_ claim: Claim, rowsRead: Int) async throws {
        try await inTenant(claim.tenant, PGQuery(ImportJobSQL.progress, [claim.tenant, claim.job, rowsRead]))
    }

    /// Appends to the job's error report; `seq` orders the errors of one row.
    func report(_ errors: [(error: CSVImporter.RowError, seq: Int)], claim: Claim) async throws {
        guard !errors.isEmpty else { return }
        try await inTenant(
            claim.tenant,
            PGQuery(
                ImportJobSQL.insertErrors,
                [
                    claim.tenant, claim.job, errors.map { String($0.error.row) }, errors.map { String($0.seq) },
                    errors.map(\.error.field), errors.map(\.error.reason),
                ]), bulk: true)
    }

    /// How many errors the report leaves out, past its cap.
    func omitted(_ count: Int, claim: Claim) async throws {
        try await inTenant(claim.tenant, PGQuery(ImportJobSQL.errorsOmitted, [claim.tenant, claim.job, count]))
    }

    /// The job has ended: its counts (or its error), and its queue entry kept for retention.
    func finish(_ claim: Claim, summary: CSVImporter.Summary?, error: String?) async throws {
        let update: PGQuery
        if let summary {
            update = PGQuery(
                ImportJobSQL.finish,
                [
                    claim.tenant, claim.job, ImportJob.Status.succeeded.rawValue, summary.rows, summary.created, summary.updated,
                    summary.unchanged, summary.superseded, summary.invalid, error,
                ])
        } else {
            update = PGQuery(ImportJobSQL.fail, [claim.tenant, claim.job, error ?? "the import failed"])
        }
        try await inTenant(claim.tenant, update)
        try await retire(claim)
    }

    /// Marks the queue entry of a job that has ended already.
    func retire(_ claim: Claim) async throws {
        _ = try await pool.withConnection { try await $0.query(ImportQueueSQL.finish, [claim.job, claim.owner]) }
    }

    /// Gives the job back to the queue, to run again from its first row; `stopped`: the run ended
    /// at a graceful shutdown, so it does not count towards giving up on the job.
    func release(_ claim: Claim, stopped: Bool) async throws {
        try await inTenant(claim.tenant, PGQuery(ImportJobSQL.requeue, [claim.tenant, claim.job, stopped]))
        _ = try await pool.withConnection { try await $0.query(ImportQueueSQL.release, [claim.job, claim.owner]) }
    }

    /// Deletes the uploads and error reports of jobs that ended more than `retention` ago (up to
    /// 100 jobs a call; of `tenant` only, when given: tests side by side); how many. Each job's
    /// rows go in its tenant's scope; its queue entry last, so a purge cut short is done again.
    @discardableResult
    public func purge(endedBefore retention: Duration, tenant: UUID? = nil) async throws -> Int {
        let before = clock.wallNow.addingTimeInterval(-retention.inSeconds)
        let expired = try await pool.withConnection { try await $0.query(ImportQueueSQL.expired, [before, tenant]) }
        for row in expired {
            let job = try row.decode(UUID.self, column: "job_id")
            let tenant = try row.decode(UUID.self, column: "tenant_id")
            _ = try await pool.withConnection(lease: PoolLease(owner: tenant, isBulk: true)) { connection in
                try await connection.pipeline([
                    ContactStore.tenantScope(tenant),
                    PGQuery(ImportJobSQL.purgeUpload, [tenant, job]),
                    PGQuery(ImportJobSQL.purgeErrors, [tenant, job]),
                    PGQuery(ImportJobSQL.markPurged, [tenant, job]),
                ])
            }
            _ = try await pool.withConnection { try await $0.query(ImportQueueSQL.forget, [job]) }
        }
        return expired.count
    }

    @discardableResult
    private func inTenant(_ tenant: UUID, _ query: PGQuery, bulk: Bool = false) async throws -> PGRows {
        try await pool.withConnection(lease: PoolLease(owner: tenant, isBulk: bulk)) { connection in
            try await connection.pipeline([ContactStore.tenantScope(tenant), query])[1]
        }
    }
}

/// Why a run stopped without an outcome of its own.
public enum ImportJobError: Error, Sendable, Equatable {
    /// Another runner holds the job now (this one's lease ran out).
    case leaseLost
    /// The scratch file for the upload could not be written.
    case scratch(path: String, errno: Int32)
}
