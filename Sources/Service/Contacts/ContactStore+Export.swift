public import FoundationEssentials
import PGStore

extension ContactStore {
    /// Contacts per statement of an export.
    static let exportChunk = 2_000

    /// Every contact of `tenant`, in id order, handed to `chunk` a page at a time.
    ///
    /// One snapshot (a read-only REPEATABLE READ transaction), each page its own statement (a
    /// keyset page of the list's query), so `statement_timeout` bounds each page and not the
    /// export. The connection is a bulk lease: exports hold at most the pool's bulk share and wait
    /// behind interactive requests. `chunk` runs while the transaction is open (it writes to the
    /// client): a client that stops reading for `idle_in_transaction_session_timeout` (60 s) ends
    /// the export.
    public func export(tenant: UUID, _ chunk: ([Contact]) async throws -> Void) async throws {
        try await pool.withConnection(lease: PoolLease(owner: tenant, isBulk: true)) { connection in
            try await connection.execute(script: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            do {
                try await connection.query(Self.tenantScope(tenant))
                var filter = ContactFilter()
                filter.limit = Self.exportChunk
                while true {
                    let rows = try await connection.query(Self.listQuery(filter, tenant: tenant))
                    let contacts = try rows.map { try ContactQueries.contact($0) }
                    let page = Array(contacts.prefix(filter.limit))
                    if !page.isEmpty { try await chunk(page) }
                    guard contacts.count > filter.limit, let last = page.last else { break }
                    filter.after = last.id
                }
            } catch {
                _ = try? await connection.execute(script: "ROLLBACK")
                throw error
            }
            try await connection.execute(script: "COMMIT")
        }
    }
}
