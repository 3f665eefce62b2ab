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
    /// Reads are functions that take the tenant (`sql/functions/contact_reads.sql`), as writes are: one statement in
    /// its own implicit transaction, which a shared pipelined session can carry.
    static let readContact = PGStatement("SELECT * FROM read_contact($1, $2)")
    static let listContacts = PGStatement("SELECT * FROM list_contacts($1, $2, $3, $4, $5::timestamptz, $6::uuid, $7)")

    static func readQuery(id: ULID, tenant: UUID) -> PGQuery {
        PGQuery(readContact, [tenant, id.uuid])
    }

    public func contact(id: ULID, tenant: UUID) async throws -> Contact? {
        try await single(Self.readQuery(id: id, tenant: tenant), tenant: tenant).first.map { try ContactQueries.contact($0) }
    }

    /// One page, in id order (ULIDs are time-ordered, so rows inserted meanwhile land after the
    /// cursor and a walk sees every row once). Fetches one extra row to know if there is more.
    public func list(_ filter: ContactFilter, tenant: UUID) async throws -> (contacts: [Contact], hasMore: Bool) {
        let contacts = try await single(Self.listQuery(filter, tenant: tenant), tenant: tenant).map { try ContactQueries.contact($0) }
        return (Array(contacts.prefix(filter.limit)), contacts.count > filter.limit)
    }

    /// The call of one page (`list_contacts` picks the index for the filters given).
    static func listQuery(_ filter: ContactFilter, tenant: UUID) -> PGQuery {
        PGQuery(listContacts, [tenant, filter.phone, filter.email, filter.tag, filter.updatedSince, filter.after?.uuid, filter.limit + 1])
    }

    /// Deletes by phone or id (both: the contact must match both); its tag links go with it, and
    /// its tombstone goes to the change feed (`sql/functions/delete_contact.sql`).
    public func delete(phone: String?, id: ULID?, tenant: UUID) async throws -> ULID? {
        let rows = try await single(Self.deleteQuery(phone: phone, id: id, tenant: tenant), tenant: tenant)
        signals.changed(tenant)
        return try rows.first.map { ULID(uuid: try $0.decode(UUID.self, column: "id")) }
    }

    static let deleteContact = PGStatement("SELECT id FROM delete_contact($1, $2, $3::uuid)")

    static func deleteQuery(phone: String?, id: ULID?, tenant: UUID) -> PGQuery {
        PGQuery(deleteContact, [tenant, phone, id?.uuid])
    }
}
