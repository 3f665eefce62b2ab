public import FoundationEssentials
import PGStore

extension ContactStore {
    /// The whole create-contacts write, one call of `upsert_contacts` (`sql/functions/upsert_contacts.sql`): the
    /// contacts, the tags and the links set-wise, one round trip, one implicit transaction;
    /// delegated to the tenant's node on Citus.
    static let upsertMany = PGStatement(
        """
        SELECT item, id, metadata, created, created_at, updated_at
        FROM upsert_contacts($1, $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::int[], $8::text[], $9::int[], $10::text[])
        """)

    /// Upserts many contacts set-wise (one call, one round trip, one transaction, whatever the
    /// count), answered as if they ran one after another in the order given: the same phone twice
    /// gives both the same contact id, each its own fields, `created` only on the first if the
    /// phone was new, and the contact ends as the last says. One contact per input, in order.
    public func upsert(many inputs: [ContactInput], tenant: UUID) async throws -> [Contact] {
        guard !inputs.isEmpty else { return [] }
        let rows = try await single(Self.upsertManyQuery(inputs, tenant: tenant), tenant: tenant, bulk: true)
        signals.changed(tenant)
        var contacts: [Contact] = []
        contacts.reserveCapacity(inputs.count)
        for row in rows {
            let item = try row.decode(Int.self, column: "item")
            guard item == contacts.count + 1, item <= inputs.count else {
                throw PGError(kind: .unexpectedResponse, message: "upsert_contacts answered item \(item) out of order")
            }
            let input = inputs[item - 1]
            contacts.append(
                Contact(
                    id: ULID(uuid: try row.decode(UUID.self, column: "id")), phone: input.phone, name: input.name, email: input.email,
                    tags: input.tags, metadataJSON: try row.decode(String.self, column: "metadata"),
                    created: try row.decode(Bool.self, column: "created"),
                    createdAt: try row.decode(Date.self, column: "created_at"), updatedAt: try row.decode(Date.self, column: "updated_at")))
        }
        guard contacts.count == inputs.count else {
            throw PGError(kind: .unexpectedResponse, message: "upsert_contacts answered \(contacts.count) of \(inputs.count) items")
        }
        return contacts
    }

    /// The call for `inputs`, in their order.
    static func upsertManyQuery(_ inputs: [ContactInput], tenant: UUID) -> PGQuery {
        var linkItems: [Int] = []
        var linkTags: [String] = []
        var linkPositions: [Int] = []
        for (index, input) in inputs.enumerated() {
            for (offset, tag) in input.tags.enumerated() {
                linkItems.append(index + 1)
                linkTags.append(tag)
                linkPositions.append(offset + 1)
            }
        }
        let allTags = Array(Set(linkTags)).sorted()
        return PGQuery(
            Self.upsertMany,
            [
                tenant, PGArray(inputs.map { _ in ULID().uuid }), PGArray(inputs.map(\.phone)),
                PGArray(inputs.map(\.name)), PGArray(inputs.map(\.email)), PGArray(inputs.map(\.metadataJSON)),
                PGArray(linkItems), PGArray(linkTags), PGArray(linkPositions), PGArray(allTags),
            ])
    }
}
