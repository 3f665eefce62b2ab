public import FoundationEssentials
public import PGStore

/// The change feed's SQL (`sql/functions/change_feed.sql`): every call is one statement, and on Citus one task on
/// the workspace's node (the functions are delegated by `p_tenant`).
public struct ChangeFeedStore: Sendable {
    let pool: ConnectionPool

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Where a reader stands: after `position`, leaving out the changes an export's snapshot
    /// already showed (`excluding`, at most a few, until the reader has passed them).
    public struct Position: Sendable, Equatable {
        public var position: Int64?
        public var excluding: [UUID] = []

        public init(position: Int64?, excluding: [UUID] = []) {
            self.position = position
            self.excluding = excluding
        }
    }

    /// A page: the changes, and where the next read starts.
    public struct Page: Sendable {
        public var changes: [Change]
        public var next: Position
        /// Where a reader stands just after `change` (each change's own cursor): past it, still
        /// leaving out the excluded changes that come later.
        public func position(after change: Change) -> Position {
            Position(position: change.position, excluding: excluding.filter { (excludedAt[$0] ?? .max) > change.position })
        }
        let excluding: [UUID]
        let excludedAt: [UUID: Int64]
    }

    /// The feed was pruned past the reader's position: changes it has not seen are gone.
    public struct CursorExpired: Error, Sendable {}

    static let readStatement = PGStatement(
        """
        SELECT change_position, id, type, contact_id, phone, name, email, tags, metadata, created_at, updated_at, in_snapshot
        FROM read_changes($1, $2, $3, $4::uuid[])
        """)

    /// The changes after `after`, oldest first, at most `limit` (numbering those that committed
    /// since the last read).
    public func read(tenant: UUID, after: Position, limit: Int) async throws -> Page {
        let rows: PGRows
        do {
            rows = try await pool.query(
                PGQuery(Self.readStatement, [tenant, after.position, limit, after.excluding.map(\.uuidString)]),
                lease: PoolLease(owner: tenant))
        } catch let error as PGError where error.sqlState == SQLState("CF410") {
            throw CursorExpired()
        }
        var changes: [Change] = []
        changes.reserveCapacity(rows.count)
        var last = after.position
        var excludedAt: [UUID: Int64] = [:]
        for row in rows {
            let position = try row.decode(Int64.self, column: "change_position")
            last = position
            if try row.decode(Bool.self, column: "in_snapshot") {
                excludedAt[try row.decode(UUID.self, column: "id")] = position
                continue
            }
            changes.append(try Self.change(row, position: position))
        }
        // An excluded change stays excluded only while the reader has not passed it.
        return Page(
            changes: changes, next: Position(position: last, excluding: after.excluding.filter { excludedAt[$0] == nil }),
            excluding: after.excluding, excludedAt: excludedAt)
    }

    static func change(_ row: PGRow, position: Int64) throws -> Change {
        guard let kind = Change.Kind(rawValue: try row.decode(String.self, column: "type")) else {
            throw PGError(kind: .unexpectedResponse, message: "read_changes answered an unknown change type")
        }
        let updatedAt = try row.decode(Date.self, column: "updated_at")
        let contact = Contact(
            id: ULID(uuid: try row.decode(UUID.self, column: "contact_id")),
            phone: try row.decode(String.self, column: "phone"),
            name: try row.decode(String?.self, column: "name"),
            email: try row.decode(String?.self, column: "email"),
            tags: try row.decode([String]?.self, column: "tags") ?? [],
            metadataJSON: try row.decode(String?.self, column: "metadata") ?? "{}",
            created: kind == .created,
            createdAt: try row.decode(Date?.self, column: "created_at") ?? updatedAt,
            updatedAt: updatedAt)
        return Change(position: position, id: ULID(uuid: try row.decode(UUID.self, column: "id")), kind: kind, contact: contact)
    }

    /// Of `waiting` (workspace → the position its long polls have seen), the workspaces whose
    /// feed has more: one statement for all of them.
    public func feedsWithChanges(_ waiting: [UUID: Int64]) async throws -> [UUID] {
        guard !waiting.isEmpty else { return [] }
        let tenants = Array(waiting.keys)
        let positions = tenants.map { String(waiting[$0] ?? 0) }
        let rows = try await pool.query(
            PGQuery(PGStatement("SELECT feeds_with_changes($1::uuid[], $2::bigint[]) AS tenant"), [tenants.map(\.uuidString), positions]))
        return try rows.map { try $0.decode(UUID.self, column: "tenant") }
    }

    /// Deletes the workspace's changes that occurred before `before`, in batches; how many.
    public func prune(tenant: UUID, before: Date) async throws -> Int {
        var total = 0
        while true {
            let rows = try await pool.withConnection(lease: PoolLease(owner: tenant, isBulk: true)) { connection in
                try await connection.query(PGQuery(PGStatement("SELECT prune_changes($1, $2) AS pruned"), [tenant, before]))
            }
            let pruned = try rows.first?.decode(Int.self, column: "pruned") ?? 0
            total += pruned
            if pruned < 5_000 { return total }
        }
    }

    /// Every workspace's id, a page at a time (retention walks them all).
    public func workspaces(after: UUID?, limit: Int) async throws -> [UUID] {
        let rows = try await pool.withConnection(lease: PoolLease(owner: nil)) { connection in
            try await connection.query(
                PGQuery(
                    PGStatement(
                        "SELECT id FROM workspaces WHERE id > coalesce($1::uuid, '00000000-0000-0000-0000-000000000000') ORDER BY id LIMIT $2"
                    ),
                    [after, limit]))
        }
        return try rows.map { try $0.decode(UUID.self, column: "id") }
    }
}

extension ChangeFeedStore {
    /// The feed's last position now (numbering first): where a new webhook endpoint starts.
    public func head(tenant: UUID) async throws -> Int64 {
        try await pool.withConnection(lease: PoolLease(owner: tenant)) { connection in
            try await connection.query(PGQuery(ContactStore.numberChanges, [tenant]))
            let rows = try await connection.pipeline([ContactStore.tenantScope(tenant), PGQuery(ContactStore.changesHead, [tenant])])[1]
            return try rows.first?.decode(Int64.self, column: "last_position") ?? 0
        }
    }
}
