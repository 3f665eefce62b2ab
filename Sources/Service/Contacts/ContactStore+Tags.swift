public import FoundationEssentials
import PGStore

/// The workspace's tags (API.md "Tags, paginated and managed", `sql/functions/tags.sql`).
extension ContactStore {
    static let listTags = PGStatement("SELECT name, contacts FROM list_tags($1, $2, $3, $4)")
    static let beginTagChange = PGStatement("SELECT from_id, to_id FROM begin_tag_change($1, $2, $3)")
    static let moveTagLinks = PGStatement("SELECT contacts, last_contact FROM move_tag_links($1, $2, $3, $4::uuid, $5)")
    static let endTagChange = PGStatement("SELECT end_tag_change($1, $2, $3) AS contacts")

    /// How many contacts one step of a rename or a deletion handles: at about 45 µs a contact on a
    /// durable server (a new `updated_at`, a change row, the links), a step stays well under the
    /// 5 s statement timeout that 100,000 contacts in one statement reached.
    static let tagChangeStep = 10_000

    /// A page of the workspace's tags by name (bytewise), after `after`, starting with `prefix`,
    /// with how many contacts carry each.
    public func tags(tenant: UUID, prefix: String? = nil, after: String? = nil, limit: Int = 1000) async throws
        -> [(name: String, contacts: Int)]
    {
        try await single(PGQuery(Self.listTags, [tenant, prefix, after, limit]), tenant: tenant).map {
            (try $0.decode(String.self, column: "name"), try $0.decode(Int.self, column: "contacts"))
        }
    }

    /// Renames the tag `from` to `to` (merging into `to` where it exists); how many contacts carry
    /// `to` then, or `nil` when `from` is not a tag of the workspace.
    public func renameTag(from: String, to: String, tenant: UUID) async throws -> Int? {
        try await changeTag(from: from, to: to, tenant: tenant).map(\.carryingTo)
    }

    /// Deletes the tag `name` from every contact and the workspace; how many contacts carried it,
    /// or `nil` when it is not a tag of the workspace.
    public func deleteTag(_ name: String, tenant: UUID) async throws -> Int? {
        try await changeTag(from: name, to: nil, tenant: tenant).map(\.handled)
    }

    /// One rename (`to`) or deletion (`to == nil`) in steps of ``tagChangeStep`` contacts, each its
    /// own statement, all in one transaction on a bulk connection: every statement stays under the
    /// statement timeout, the change is whole or nothing, and the pool serves interactive requests
    /// first. `nil` when `from` is not a tag of the workspace. (`step` is smaller in tests.)
    func changeTag(from: String, to: String?, tenant: UUID, step: Int = tagChangeStep) async throws -> (handled: Int, carryingTo: Int)? {
        let lease = PoolLease(owner: tenant, isBulk: true)
        let result = try await retryingTransientFailures(statements: 3) {
            try await pool.withTransaction(lease: lease) { connection -> (handled: Int, carryingTo: Int)? in
                guard let tags = try await connection.query(PGQuery(Self.beginTagChange, [tenant, from, to])).first else { return nil }
                let fromID = try tags.decode(Int64.self, column: "from_id")
                let toID = try tags.decode(Int64?.self, column: "to_id")
                var handled = 0
                var after: UUID?
                while true {
                    let step = try await connection.query(PGQuery(Self.moveTagLinks, [tenant, fromID, toID, after, step]))[0]
                    let contacts = try step.decode(Int.self, column: "contacts")
                    guard contacts > 0 else { break }
                    handled += contacts
                    after = try step.decode(UUID.self, column: "last_contact")
                }
                let end = try await connection.query(PGQuery(Self.endTagChange, [tenant, fromID, toID]))[0]
                return (handled, try end.decode(Int.self, column: "contacts"))
            }
        }
        if result != nil { signals.changed(tenant) }
        return result
    }
}
