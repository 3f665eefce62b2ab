import AsyncAlgorithms
public import FoundationEssentials
import PGStore
import Synchronization

extension ContactStore {
    /// Contacts per statement of an export.
    static let exportChunk = 2_000

    /// One page of an export: the list's columns, the page's links read by one index probe per
    /// contact, their tag names by one join over the page (tags hashed once when the planner
    /// sees that pays). Every table is filtered on the tenant by value, so on Citus it is one
    /// router statement.
    ///
    /// The probe is a `LATERAL` subquery fenced by `OFFSET 0`, so the planner cannot pull it up
    /// into a join it may drive from the other side (the workspace's links walked for each
    /// contact): with the generic plan (``exportPlanSettings``) a page is 2,000 probes of the
    /// links' primary key whatever the statistics say.
    static let exportPage = PGStatement(
        """
        WITH page AS MATERIALIZED (
            SELECT c.id, c.phone, c.name, c.email, c.metadata::text AS metadata, c.created_at, c.updated_at
            FROM contacts c WHERE c.tenant_id = $1 AND c.id > $2::uuid ORDER BY c.id LIMIT $3
        ), links AS MATERIALIZED (
            SELECT page.id AS contact_id, link.tag_id, link.position
            FROM page CROSS JOIN LATERAL (
                SELECT ct.tag_id, ct.position FROM contact_tags ct WHERE ct.tenant_id = $1 AND ct.contact_id = page.id OFFSET 0
            ) link
        ), linked AS (
            SELECT links.contact_id, array_agg(t.name ORDER BY links.position) AS tags
            FROM links JOIN tags t ON t.tenant_id = $1 AND t.id = links.tag_id
            GROUP BY links.contact_id
        )
        SELECT page.*, coalesce(linked.tags, '{}') AS tags
        FROM page LEFT JOIN linked ON linked.contact_id = page.id
        ORDER BY page.id
        """)

    static func exportQuery(after: ULID?, tenant: UUID) -> PGQuery {
        PGQuery(
            exportPage, [tenant, (after ?? ULID(uuid: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))).uuid, exportChunk + 1])
    }

    /// Opens an export of `tenant`: a long-held bulk lease (exports hold at most the pool's bulk
    /// share, never all of it for one workspace while another waits, and wait behind interactive
    /// requests) and its snapshot, a read-only REPEATABLE READ transaction. Taken before the
    /// response starts, so that no free connection is a 503 before any byte.
    public func beginExport(tenant: UUID) async throws -> ExportSession {
        let lease = try await pool.lease(PoolLease(owner: tenant, isBulk: true, isHeldLong: true))
        do {
            for _ in 1...5 {
                // The feed numbered first, so that the snapshot sees (nearly) every committed
                // change numbered: those it sees unnumbered committed in between, and the cursor
                // leaves them out by id (a few at most, else the snapshot is taken again).
                // A numbering hands out at most 10,000 positions (`number_some_changes`, `sql/functions/change_feed.sql`): after a large
                // import, several.
                var numbered = 10_000
                while numbered >= 10_000 {
                    numbered = try await lease.connection.query(PGQuery(Self.numberChanges, [tenant]))[0].decode(Int.self, at: 0)
                }
                let snapshot = try await lease.connection.beginTransaction(isolation: .repeatableRead, readOnly: true)
                try await lease.connection.query(Self.tenantScope(tenant))
                try await lease.connection.execute(script: Self.exportPlanSettings)
                let head = try await lease.connection.query(PGQuery(Self.changesHead, [tenant]))
                let unnumbered = try head.first?.decode([String].self, column: "unnumbered").compactMap(UUID.init(uuidString:)) ?? []
                if unnumbered.count <= PageCursors.maximumExcludedChanges {
                    let position = try head.first?.decode(Int64.self, column: "last_position") ?? 0
                    return ExportSession(
                        lease: lease, snapshot: snapshot, tenant: tenant,
                        changes: ChangeFeedStore.Position(position: position, excluding: unnumbered))
                }
                try await snapshot.rollback()
            }
            throw PGError(kind: .unexpectedResponse, message: "the feed kept changing faster than an export could start")
        } catch {
            await lease.release()
            throw error
        }
    }

    /// Numbers up to 10,000 of the feed's committed changes; how many.
    static let numberChanges = PGStatement("SELECT number_feed($1)")
    /// The feed's last position in the export's snapshot, and the changes it sees unnumbered
    /// (they committed between the numbering and the snapshot: the export shows them, so the
    /// cursor leaves them out). One router statement on Citus.
    static let changesHead = PGStatement(
        """
        SELECT coalesce((SELECT f.last_position FROM change_feeds f WHERE f.tenant_id = $1), 0) AS last_position,
               ARRAY(SELECT ch.id::text FROM contact_changes ch WHERE ch.tenant_id = $1 AND ch.position IS NULL) AS unnumbered
        """)
}

/// Set in an export's transaction: a page's plan must not depend on statistics, which lag behind
/// a big import into a new workspace. There a custom plan estimates `tenant_id = <this tenant>`
/// from statistics that do not know the workspace (a row or two), and probes each contact's links
/// through the wrong index: a walk of all the workspace's links per contact, 79 s a page at
/// 400,000 contacts (`bench/export-stale.sh`). A generic plan estimates an average workspace and
/// takes the primary key: 13 ms. (As `import_staged_contacts` does, for the same reason. Citus
/// plans distributed tables with the values only and refuses a generic plan: not there.)
extension ContactStore {
    static let exportPlanSettings =
        "SELECT set_config('plan_cache_mode', 'force_generic_plan', true) WHERE current_setting('citus.version', true) IS NULL"
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
    /// The read-only REPEATABLE READ transaction every page is read in.
    let snapshot: PGTransaction
    let tenant: UUID
    /// Where the change feed stands in the export's snapshot: following the feed from here gives
    /// exactly the changes the export does not show (`X-Changes-Cursor`).
    public let changes: ChangeFeedStore.Position

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
        let (lease, snapshot, tenant) = (lease, snapshot, tenant)
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
                    try await snapshot.commit()
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
