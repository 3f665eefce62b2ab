import AsyncAlgorithms
public import FoundationEssentials
import PGStore
import Synchronization

extension ContactStore {
    /// Contacts per statement of an export.
    static let exportChunk = 2_000

    /// One page of an export: the list's columns, but the page's tags read by one join over the
    /// page (tags hashed once) instead of a subquery per contact. Every table is filtered on the
    /// tenant by value, so on Citus it is one router statement.
    static let exportPage = PGStatement(
        """
        WITH page AS MATERIALIZED (
            SELECT c.id, c.phone, c.name, c.email, c.metadata::text AS metadata, c.created_at, c.updated_at
            FROM contacts c WHERE c.tenant_id = $1 AND c.id > $2::uuid ORDER BY c.id LIMIT $3
        ), linked AS (
            SELECT ct.contact_id, array_agg(t.name ORDER BY ct.position) AS tags
            FROM page JOIN contact_tags ct ON ct.tenant_id = $1 AND ct.contact_id = page.id
            JOIN tags t ON t.tenant_id = $1 AND t.id = ct.tag_id
            GROUP BY ct.contact_id
        )
        SELECT page.*, coalesce(linked.tags, '{}') AS tags
        FROM page LEFT JOIN linked ON linked.contact_id = page.id
        ORDER BY page.id
        """)

    static func exportQuery(after: ULID?, tenant: UUID) -> PGQuery {
        PGQuery(exportPage, [tenant, (after ?? ULID(uuid: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))).uuid, exportChunk + 1])
    }

    /// Opens an export of `tenant`: a long-held bulk lease (exports hold at most the pool's bulk
    /// share, never all of it for one workspace while another waits, and wait behind interactive
    /// requests) and its snapshot, a read-only REPEATABLE READ transaction. Taken before the
    /// response starts, so that no free connection is a 503 before any byte.
    public func beginExport(tenant: UUID) async throws -> ExportSession {
        let lease = try await pool.lease(PoolLease(owner: tenant, isBulk: true, isHeldLong: true))
        do {
            try await lease.connection.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try await lease.connection.query(Self.tenantScope(tenant))
            try await lease.connection.execute(script: Self.exportPlanSettings)
        } catch {
            await lease.release()
            throw error
        }
        return ExportSession(lease: lease, tenant: tenant)
    }
}

/// Set in an export's transaction: a page's plan must not depend on statistics, which lag behind
/// a big import into a new workspace (the attack of issue 19 saw 25-30 s a page right after
/// 400,000 rows, 2.3 s for the whole export once analyzed). Without sequential scans, hash or
/// merge joins, every page is the same index walk, whatever the planner believes the workspace
/// holds.
extension ContactStore {
    static let exportPlanSettings = "SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
}

/// Why an export ended early, on the database's side.
public enum ExportError: Error, Sendable {
    /// The client took no data for the stall bound: the snapshot and the connection were let go.
    case clientStalled(Duration)
}

/// When an export's client last took data: the stall bound counts from there, so a slow client
/// that keeps reading is never cut off, whatever a page weighs.
public final class ExportProgress: Sendable {
    private let last = Mutex(ContinuousClock.now)

    public init() {}

    /// The client took data just now.
    public func touch() { last.withLock { $0 = .now } }

    /// How long since the client last took data.
    var idle: Duration { ContinuousClock.now - last.withLock { $0 } }
}

/// One export's snapshot and connection, from ``ContactStore/beginExport(tenant:)`` to
/// ``run(stallTimeout:progress:whenAbandoned:_:)``'s end (or the session being dropped unused).
public struct ExportSession: Sendable {
    let lease: ConnectionLease
    let tenant: UUID

    /// Hands every contact, in id order, to `chunk` a page at a time, then ends the transaction
    /// and gives the connection back: each page its own statement (a keyset page), so
    /// `statement_timeout` bounds each page and not the export.
    ///
    /// The next page is read while `chunk` writes the last one (at most one page waits):
    /// PostgreSQL and the service work at once instead of in turn. The database side never waits
    /// for the client longer than `stallTimeout`: a page the client has not taken by then ends
    /// the export with ``ExportError/clientStalled(_:)`` and the connection is given back at
    /// once, while `chunk` may still be stuck on the client. A session the server ends while it
    /// waits (killed, timed out) is given back at once too.
    /// `whenAbandoned` runs with the reason when the database side ends early (the caller ends
    /// its side); `progress` is touched by the caller whenever the client takes data.
    public func run(
        stallTimeout: Duration, progress: ExportProgress = ExportProgress(),
        whenAbandoned: @escaping @Sendable (any Error) -> Void = { _ in },
        _ chunk: ([Contact]) async throws -> Void
    ) async throws {
        let connection = lease.connection
        let (lease, tenant) = (lease, tenant)
        let pages = AsyncThrowingChannel<PGRows, any Error>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    var after: ULID?
                    while true {
                        let rows = try await connection.query(ContactStore.exportQuery(after: after, tenant: tenant))
                        let more = rows.count > ContactStore.exportChunk
                        if more { after = ULID(uuid: try rows[ContactStore.exportChunk - 1].decode(UUID.self, column: "id")) }
                        try await Self.hand(rows, to: pages, within: stallTimeout, progress: progress, watching: connection)
                        if !more { break }
                    }
                    try await connection.execute(script: "COMMIT")
                    await lease.release()
                    pages.finish()
                } catch {
                    await lease.release()
                    pages.fail(error)
                    whenAbandoned(error)
                }
            }
            for try await rows in pages {
                let contacts = try rows.prefix(ContactStore.exportChunk).map { try ContactQueries.contact($0) }
                if !contacts.isEmpty { try await chunk(contacts) }
            }
            try await group.waitForAll()
        }
    }

    /// Sends `rows` once the consumer takes them, or throws: the client took no data for
    /// `timeout`, or the server ended the idle session meanwhile. The deadline moves with the
    /// client's progress (one timer, re-armed for what is left of the bound, not a polling loop).
    private static func hand(
        _ rows: PGRows, to pages: AsyncThrowingChannel<PGRows, any Error>, within timeout: Duration, progress: ExportProgress,
        watching connection: PGConnection
    ) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await pages.send(rows)
                return !Task.isCancelled
            }
            group.addTask {
                while case let idle = progress.idle, idle < timeout { try await Task.sleep(for: timeout - idle) }
                throw ExportError.clientStalled(timeout)
            }
            group.addTask {
                try await connection.waitUntilLost()
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw ExportError.clientStalled(timeout) }
        }
    }
}
