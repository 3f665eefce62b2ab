public import FoundationEssentials
import PGStore

extension ContactStore {
    /// The whole create-contacts write, one call of `upsert_contacts` (migration 007): the
    /// contacts, the tags and the links set-wise, one round trip, one implicit transaction;
    /// delegated to the tenant's node on Citus.
    static let upsertMany = PGStatement(
        """
        SELECT id, phone, metadata, created_at, updated_at, inserted
        FROM upsert_contacts($1, $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[], $9::int[], $10::text[])
        """)

    /// Upserts many contacts set-wise: one call, one round trip, one transaction, whatever the
    /// count. The same phone twice: the last one wins, and every input gets the result.
    /// Rows are written in phone order, so concurrent batches lock in the same order.
    public func upsert(many inputs: [ContactInput], tenant: UUID) async throws -> [String: Contact] {
        var last: [String: ContactInput] = [:]
        for input in inputs { last[input.phone] = input }
        let unique = last.values.sorted { $0.phone < $1.phone }
        guard !unique.isEmpty else { return [:] }
        let rows = try await single(Self.upsertManyQuery(unique, tenant: tenant), tenant: tenant, bulk: true)
        var contacts: [String: Contact] = [:]
        for row in rows {
            let phone = try row.decode(String.self, column: "phone")
            guard let input = last[phone] else { continue }
            contacts[phone] = Contact(
                id: ULID(uuid: try row.decode(UUID.self, column: "id")), phone: phone, name: input.name, email: input.email,
                tags: input.tags, metadataJSON: try row.decode(String.self, column: "metadata"),
                created: try row.decode(Bool.self, column: "inserted"),
                createdAt: try row.decode(Date.self, column: "created_at"), updatedAt: try row.decode(Date.self, column: "updated_at"))
        }
        return contacts
    }

    /// The call for `unique` (one input per phone, in phone order).
    static func upsertManyQuery(_ unique: [ContactInput], tenant: UUID) -> PGQuery {
        var linkPhones: [String] = []
        var linkTags: [String] = []
        var linkPositions: [Int] = []
        for input in unique {
            for (offset, tag) in input.tags.enumerated() {
                linkPhones.append(input.phone)
                linkTags.append(tag)
                linkPositions.append(offset + 1)
            }
        }
        let allTags = Array(Set(linkTags)).sorted()
        return PGQuery(
            Self.upsertMany,
            [
                tenant, PGArray(unique.map { _ in ULID().uuid }), PGArray(unique.map(\.phone)),
                PGArray(unique.map(\.name)), PGArray(unique.map(\.email)), PGArray(unique.map(\.metadataJSON)),
                PGArray(linkPhones), PGArray(linkTags), PGArray(linkPositions), PGArray(allTags),
            ])
    }
}
