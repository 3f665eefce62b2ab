public import FoundationEssentials
import PGStore

/// Filters of `GET /api/v1/contacts`, already normalized.
public struct ContactFilter: Sendable, Equatable {
    public var phone: String?
    public var email: String?
    public var tag: String?
    public var updatedSince: Date?
    /// Rows after this id (from a cursor).
    public var after: ULID?
    public var limit: Int = ContactFilter.defaultLimit

    /// A page's size unless the client asks; at most ``maximumLimit``.
    public static let defaultLimit = 50
    public static let maximumLimit = 200

    public init() {}
}

extension ContactStore {
    public func contact(id: ULID, tenant: UUID) async throws -> Contact? {
        try await inTenant(tenant, PGQuery(ContactQueries.byID, [tenant, id.uuid])).first.map { try ContactQueries.contact($0) }
    }

    /// One page, in id order (ULIDs are time-ordered, so rows inserted meanwhile land after the
    /// cursor and a walk sees every row once). Fetches one extra row to know if there is more.
    public func list(_ filter: ContactFilter, tenant: UUID) async throws -> (contacts: [Contact], hasMore: Bool) {
        let contacts = try await inTenant(tenant, Self.listQuery(filter, tenant: tenant)).map { try ContactQueries.contact($0) }
        return (Array(contacts.prefix(filter.limit)), contacts.count > filter.limit)
    }

    /// The statement of one page: one prepared statement per combination of filters, so each gets
    /// a plan that uses its index; `tenant_id = $1` first, so Citus sends it to one node.
    static func listQuery(_ filter: ContactFilter, tenant: UUID) -> PGQuery {
        var conditions = ["c.tenant_id = $1"]
        var binds: [any PGEncodable] = [tenant]
        func add(_ condition: (String) -> String, _ value: any PGEncodable) {
            binds.append(value)
            conditions.append(condition("$\(binds.count)"))
        }
        if let phone = filter.phone { add({ "c.phone = \($0)" }, phone) }
        if let email = filter.email { add({ "c.email = \($0)" }, email) }
        if let tag = filter.tag {
            add({
                """
                EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.tenant_id = $1 AND t.id = ct.tag_id
                        WHERE ct.tenant_id = $1 AND ct.contact_id = c.id AND t.name = \($0))
                """
            }, tag)
        }
        if let since = filter.updatedSince { add({ "c.updated_at >= \($0)::timestamptz" }, since) }
        if let after = filter.after { add({ "c.id > \($0)::uuid" }, after.uuid) }
        binds.append(filter.limit + 1)
        let statement = PGStatement(
            "SELECT \(ContactQueries.columns) FROM contacts c WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.id LIMIT $\(binds.count)")
        return PGQuery(statement, binds)
    }

    /// Deletes by phone or id (both: the contact must match both); its tag links go with it, and
    /// its tombstone goes to the change feed (`delete_contact`, migration 013).
    public func delete(phone: String?, id: ULID?, tenant: UUID) async throws -> ULID? {
        let rows = try await single(Self.deleteQuery(phone: phone, id: id, tenant: tenant), tenant: tenant)
        signals.changed(tenant)
        return try rows.first.map { ULID(uuid: try $0.decode(UUID.self, column: "id")) }
    }

    static let deleteContact = PGStatement("SELECT id FROM delete_contact($1, $2, $3::uuid)")

    static func deleteQuery(phone: String?, id: ULID?, tenant: UUID) -> PGQuery {
        PGQuery(deleteContact, [tenant, phone, id?.uuid])
    }

    static let tagCounts = PGStatement(
        """
        SELECT t.name, count(ct.contact_id) AS contacts
        FROM tags t LEFT JOIN contact_tags ct ON ct.tenant_id = t.tenant_id AND ct.tag_id = t.id
        WHERE t.tenant_id = $1
        GROUP BY t.id, t.name ORDER BY t.name
        """)

    /// The workspace's tags with how many contacts carry each.
    public func tags(tenant: UUID) async throws -> [(name: String, contacts: Int)] {
        return try await inTenant(tenant, PGQuery(Self.tagCounts, [tenant])).map { (try $0.decode(String.self, column: "name"), try $0.decode(Int.self, column: "contacts")) }
    }

    /// One statement with the tenant set, in one round trip; its rows.
    private func inTenant(_ tenant: UUID, _ query: PGQuery) async throws -> PGRows {
        try await pipeline([Self.tenantScope(tenant), query], tenant: tenant)[1]
    }
}
