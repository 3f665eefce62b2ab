import AsyncAlgorithms
public import FoundationEssentials
import PGStore

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

    /// Every contact of `tenant`, in id order, handed to `chunk` a page at a time.
    ///
    /// One snapshot (a read-only REPEATABLE READ transaction), each page its own statement (a
    /// keyset page of the list's query), so `statement_timeout` bounds each page and not the
    /// export. The next page is read while `chunk` writes the last one (at most one page waits):
    /// PostgreSQL and the service work at once instead of in turn. The connection is a bulk lease:
    /// exports hold at most the pool's bulk share and wait behind interactive requests. `chunk`
    /// runs while the transaction is open (it writes to the client): a client that stops reading
    /// for `idle_in_transaction_session_timeout` (60 s) ends the export.
    public func export(tenant: UUID, _ chunk: ([Contact]) async throws -> Void) async throws {
        try await pool.withConnection(lease: PoolLease(owner: tenant, isBulk: true)) { connection in
            try await connection.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            do {
                try await connection.query(Self.tenantScope(tenant))
                let pages = AsyncThrowingChannel<PGRows, any Error>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            var after: ULID?
                            while true {
                                let rows = try await connection.query(Self.exportQuery(after: after, tenant: tenant))
                                let more = rows.count > Self.exportChunk
                                if more { after = ULID(uuid: try rows[Self.exportChunk - 1].decode(UUID.self, column: "id")) }
                                await pages.send(rows)
                                if !more { break }
                            }
                            pages.finish()
                        } catch {
                            pages.fail(error)
                        }
                    }
                    for try await rows in pages {
                        let contacts = try rows.prefix(Self.exportChunk).map { try ContactQueries.contact($0) }
                        if !contacts.isEmpty { try await chunk(contacts) }
                    }
                    try await group.waitForAll()
                }
            } catch {
                _ = try? await connection.execute(script: "ROLLBACK")
                throw error
            }
            try await connection.execute(script: "COMMIT")
        }
    }
}
